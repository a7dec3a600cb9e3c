package config

import (
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// iniFanOutConfig is the shape that made validation quadratic: a [DEFAULT]
// option with refs references, inherited by sections empty sections (and
// by one section that overrides an unrelated option).
func iniFanOutConfig(refs, sections int) []byte {
	var b strings.Builder
	b.WriteString("[DEFAULT]\na = v\nb = w\nx = ")
	b.WriteString(strings.Repeat("%(a)s", refs))
	b.WriteString("\n[over]\nb = other\n")
	for i := range sections {
		b.WriteString("[s" + strconv.Itoa(i) + "]\n")
	}
	return []byte(b.String())
}

// TestHostileINIDefaultsCheckedOnce: each [DEFAULT] option's references are
// checked once, not once per section that inherits it. The work (references
// followed and options visited, counted by the parser) stays within a small
// multiple of the file's references plus its sections; the old check
// followed refs x sections references.
func TestHostileINIDefaultsCheckedOnce(t *testing.T) {
	const refs, sections = 2000, 2000
	f, err := parseINI("f", iniFanOutConfig(refs, sections))
	require.NoError(t, err)
	t.Logf("validation steps: %d", f.steps)
	assert.LessOrEqual(t, f.steps, 4*(refs+sections), "interpolation steps")
	v, _, ok := f.get("s7", "x")
	require.True(t, ok)
	assert.Equal(t, strings.Repeat("v", refs), v)
}

// TestHostileINIFanOutLoadsQuickly: the 549 KB config that took 42 s loads
// within a bound generous enough for -race on a loaded machine.
func TestHostileINIFanOutLoadsQuickly(t *testing.T) {
	data := iniFanOutConfig(55_000, 34_000)
	require.Greater(t, len(data), 500_000)
	start := time.Now()
	f, err := parseINI("f", data)
	require.NoError(t, err)
	assert.Less(t, time.Since(start), 30*time.Second)
	assert.LessOrEqual(t, f.steps, 4*(55_000+34_000), "interpolation steps")
}

// TestINISharedValidationMatchesPerSection compares validate with the
// per-section check it replaced (every section checking every option it
// reads) on random small configs full of [DEFAULT] references, overrides,
// missing names, loops and chains about the nesting limit deep (with
// sections overriding links of the chain): both accept the same files and
// report the same first error.
func TestINISharedValidationMatchesPerSection(t *testing.T) {
	rng := rand.New(rand.NewPCG(18, 7))
	names := []string{"a", "b", "c", "d", "e", "f"}
	value := func() string {
		var b strings.Builder
		for range rng.IntN(5) {
			switch rng.IntN(4) {
			case 0:
				b.WriteString("lit")
			case 1:
				b.WriteString("%%")
			default:
				b.WriteString("%(" + names[rng.IntN(len(names))] + ")s")
			}
		}
		return b.String()
	}
	section := func(b *strings.Builder, name string, maxOpts int) {
		b.WriteString("[" + name + "]\n")
		for _, i := range rng.Perm(len(names))[:rng.IntN(maxOpts+1)] {
			b.WriteString(names[i] + " = " + value() + "\n")
		}
	}
	// chain writes [DEFAULT] k0 = %(k1)s%(k1)s, k1 = %(k2)s..., about the
	// nesting limit deep, and sections overriding a few links (some with a
	// value holding "%", some with a loop back to k0).
	chain := func(b *strings.Builder) {
		depth := 8 + rng.IntN(5)
		b.WriteString("[DEFAULT]\n")
		for i := range depth {
			b.WriteString("k" + strconv.Itoa(i) + " = %(k" + strconv.Itoa(i+1) + ")s%(k" + strconv.Itoa(i+1) + ")s\n")
		}
		b.WriteString("k" + strconv.Itoa(depth) + " = leaf%%\n")
		for i := range rng.IntN(4) {
			b.WriteString("[s" + strconv.Itoa(i) + "]\n")
			for _, j := range rng.Perm(depth + 2)[:rng.IntN(3)] {
				k := "k" + strconv.Itoa(j)
				switch rng.IntN(3) {
				case 0:
					b.WriteString(k + " = flat\n")
				case 1:
					b.WriteString(k + " = %%\n")
				default:
					b.WriteString(k + " = %(k0)s\n")
				}
			}
		}
	}
	accepted, refused := 0, 0
	for i := range 20_000 {
		var b strings.Builder
		if i%4 == 3 {
			chain(&b)
		} else {
			section(&b, "DEFAULT", len(names))
			for i := range rng.IntN(4) {
				section(&b, "s"+strconv.Itoa(i), 2)
			}
		}
		data := []byte(b.String())
		f, err := parseINI("f", data)
		ref := parsedNoValidate(t, data)
		refErr := ref.validateShared(false)
		if refErr == nil {
			accepted++
			require.NoError(t, err, "%s", data)
			assert.Equal(t, iniValues(ref), iniValues(f), "%s", data)
			continue
		}
		refused++
		require.Error(t, err, "%s", data)
		require.Equal(t, refErr.Error(), err.Error(), "%s", data)
	}
	t.Logf("%d accepted, %d refused", accepted, refused)
	assert.Positive(t, accepted)
	assert.Positive(t, refused)
}

// parsedNoValidate parses data that parseINI may refuse at validation: it
// parses [DEFAULT] only as far as the syntax goes, by validating nothing.
func parsedNoValidate(t *testing.T, data []byte) *iniFile {
	t.Helper()
	f, err := parseINISyntax("f", data)
	require.NoError(t, err)
	return f
}

// TestHostileINIOverrideWorkBounded: when every section overrides a name
// that many [DEFAULT] options reach, each section must check them again
// (their values differ per section); the work is bounded, and a file past
// the bound is refused with an error naming the section, after bounded
// work.
func TestHostileINIOverrideWorkBounded(t *testing.T) {
	const n = 2000
	var b strings.Builder
	b.WriteString("[DEFAULT]\na = v\nx = ")
	for i := range n {
		b.WriteString("%(b" + strconv.Itoa(i) + ")s")
	}
	b.WriteString("\n")
	for i := range n {
		b.WriteString("b" + strconv.Itoa(i) + " = %(a)s\n")
	}
	for i := range n {
		b.WriteString("[s" + strconv.Itoa(i) + "]\na = w\n")
	}
	data := []byte(b.String())
	f, err := parseINISyntax("f", data)
	require.NoError(t, err)
	f.maxSteps = maxInterpolationSteps(len(data))
	err = f.validate()
	require.Error(t, err)
	assert.ErrorIs(t, err, ErrInvalid)
	assert.Contains(t, err.Error(), "f:")
	assert.Contains(t, err.Error(), "too many sections override")
	// One section's work past the bound at most: 2n+1 options, n refs each
	// at most.
	assert.LessOrEqual(t, f.steps, f.maxSteps+4*n+4)

	// A few overriding sections stay well inside the bound.
	small := strings.Replace(string(data), "[s10]", "[DEFAULT]\n[s10]", 1)
	small = small[:strings.Index(small, "[s10]")]
	_, err = parseINI("f", []byte(small))
	require.NoError(t, err)
}
