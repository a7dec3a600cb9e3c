package kit

import (
	"math"
	"time"

	"github.com/secretpath/secretpath/resolver/config"
)

// The kwargs of a backend's change polls (see Poller).
const (
	PollIntervalKey = "changes_poll_interval_seconds"
	PollJitterKey   = "changes_poll_jitter_seconds"
)

// maxPollSeconds bounds both poll kwargs: a day.
const maxPollSeconds = 24 * 3600

// PollOptions are a change poll's interval and jitter as a backend's
// Options take them (ChangesPollInterval, ChangesPollJitter).
type PollOptions struct {
	// Interval between polls: 0 means the backend's default (a minute),
	// < 0 switches polls off.
	Interval time.Duration
	// Jitter is the most a poll moves earlier or later at random: 0 means
	// a tenth of the interval, < 0 none.
	Jitter time.Duration
}

// ReadPollKwargs reads changes_poll_interval_seconds and
// changes_poll_jitter_seconds (JSON numbers or numeric strings; fractions
// allowed):
//
//   - the interval: absent or null gives 0 (the default, DefaultPollInterval);
//     a negative value -1 (polls off); 0, above 86400 or not finite is an
//     error (0 would be a busy loop);
//   - the jitter: absent or null gives 0 (a tenth of the interval); 0
//     gives -1 (none); a negative value, one above the interval (the
//     default interval when none is given; any value when polls are off)
//     or one not finite is an error.
//
// Errors wrap config.ErrInvalid and name the kwarg.
func ReadPollKwargs(kw *config.Kwargs) (PollOptions, error) {
	var o PollOptions
	secs, given, err := pollSeconds(kw, PollIntervalKey)
	switch {
	case err != nil:
		return PollOptions{}, err
	case !given:
		secs = DefaultPollInterval.Seconds()
	case secs < 0:
		o.Interval = -1
	case secs == 0 || secs > maxPollSeconds:
		return PollOptions{}, KwargError(PollIntervalKey, "must be a number of seconds above 0 and at most 86400, or negative to switch change polls off")
	default:
		o.Interval = time.Duration(secs * float64(time.Second))
	}
	j, given, err := pollSeconds(kw, PollJitterKey)
	switch {
	case err != nil:
		return PollOptions{}, err
	case !given:
	case j < 0 || (o.Interval >= 0 && j > secs):
		return PollOptions{}, KwargError(PollJitterKey, "must be a number of seconds between 0 (no jitter) and the poll interval")
	case j == 0:
		o.Jitter = -1
	default:
		o.Jitter = time.Duration(j * float64(time.Second))
	}
	return o, nil
}

// pollSeconds reads key as a number of seconds; given is false when it is
// absent or null.
func pollSeconds(kw *config.Kwargs, key string) (secs float64, given bool, err error) {
	secs, err = kw.Float(key, 0) // marks the key read, null included
	if err != nil {
		return 0, false, err
	}
	if !kw.Has(key) || kw.IsNull(key) {
		return 0, false, nil
	}
	if math.IsNaN(secs) || math.IsInf(secs, 0) {
		return 0, false, KwargError(key, "must be a finite number of seconds")
	}
	return secs, true, nil
}
