package metastore

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secretpath/secretpath/resolver/connection"
)

// The helper process: the test binary re-executed with helperEnv set runs
// one of these modes instead of the tests.
const helperEnv = "METASTORE_TEST_HELPER"

func TestMain(m *testing.M) {
	if mode := os.Getenv(helperEnv); mode != "" {
		os.Exit(helperMain(mode))
	}
	os.Exit(m.Run())
}

func helperMain(mode string) int {
	ctx := context.Background()
	poll, _ := time.ParseDuration(os.Getenv("HELPER_POLL"))
	s, err := Open(Options{DSN: os.Getenv("HELPER_DSN"), FernetKey: connection.NewSecret(os.Getenv("HELPER_KEY")), SQLitePoll: poll, TablePoll: poll})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	defer s.Close()
	n, _ := strconv.Atoi(os.Getenv("HELPER_N"))
	name := os.Getenv("HELPER_NAME")
	switch mode {
	case "increment":
		for i := range n {
			err := s.UpdateVariable(ctx, "counter", func(old string, _ bool) (string, error) {
				v, _ := strconv.Atoi(old)
				return strconv.Itoa(v + 1), nil
			})
			if err == nil {
				err = s.SetVariable(ctx, fmt.Sprintf("%s_%d", name, i), name, "")
			}
			if err != nil {
				fmt.Fprintln(os.Stderr, err)
				return 1
			}
		}
		return 0
	case "watch":
		return watchHelper(s, name)
	case "import-and-hang":
		conns := make([]connection.Connection, n)
		for i := range conns {
			c, _ := connection.ParseURI("", fmt.Sprintf("postgres://u:new-pw-%d@host%d/db", i, i))
			c.ConnID = fmt.Sprintf("conn_%06d", i)
			conns[i] = c
		}
		conns[0].ConnID = "existing" // overwritten by the import, if it committed
		_, err := s.ImportConnections(ctx, conns, ImportOptions{Progress: func(done, total int) {
			if done >= total/2 {
				fmt.Println("MIDWAY")
				select {} // wait to be killed, inside the transaction
			}
		}})
		fmt.Fprintln(os.Stderr, "import returned:", err)
		return 1
	}
	fmt.Fprintln(os.Stderr, "unknown helper mode", mode)
	return 2
}

func helperCmd(t *testing.T, mode, dsn string, env ...string) *exec.Cmd {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), helperEnv+"="+mode, "HELPER_DSN="+dsn, "HELPER_KEY="+testKey)
	cmd.Env = append(cmd.Env, env...)
	cmd.Stderr = os.Stderr
	return cmd
}

// TestTwoProcessesNeverLoseAnUpdate: two OS processes increment one counter
// (read-modify-write) and write their own keys at the same time.
func TestTwoProcessesNeverLoseAnUpdate(t *testing.T) {
	const n = 60
	for _, db := range databases {
		t.Run(db.name, func(t *testing.T) {
			dsn := db.dsn(t)
			s := openStore(t, dsn, testKey)
			ctx := t.Context()
			require.NoError(t, s.Migrate(ctx))
			var wg sync.WaitGroup
			for _, name := range []string{"a", "b"} {
				cmd := helperCmd(t, "increment", dsn, "HELPER_N="+strconv.Itoa(n), "HELPER_NAME="+name)
				require.NoError(t, cmd.Start())
				wg.Go(func() { assert.NoError(t, cmd.Wait(), "helper %s", name) })
			}
			wg.Wait()
			got, err := s.Variable(ctx, "counter")
			require.NoError(t, err)
			assert.Equal(t, strconv.Itoa(2*n), got, "every increment of both processes counted")
			vars, err := s.Variables(ctx)
			require.NoError(t, err)
			assert.Len(t, vars, 2*n+1)
		})
	}
}

// TestImportKilledMidway: SIGKILL of a process in the middle of an import
// leaves the old state, and the database usable.
func TestImportKilledMidway(t *testing.T) {
	for _, db := range databases {
		t.Run(db.name, func(t *testing.T) {
			dsn := db.dsn(t)
			s := openStore(t, dsn, testKey)
			ctx := t.Context()
			old, err := connection.ParseURI("existing", "http://old-host")
			require.NoError(t, err)
			require.NoError(t, s.SetConnection(ctx, old))

			cmd := helperCmd(t, "import-and-hang", dsn, "HELPER_N=4000")
			stdout, err := cmd.StdoutPipe()
			require.NoError(t, err)
			require.NoError(t, cmd.Start())
			line, err := bufio.NewReader(stdout).ReadString('\n')
			require.NoError(t, err)
			require.Equal(t, "MIDWAY\n", line)
			require.NoError(t, cmd.Process.Signal(syscall.SIGKILL))
			_ = cmd.Wait()

			// The server may take a moment to notice the dead session.
			wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
			defer cancel()
			require.NoError(t, s.SetVariable(wctx, "after", "kill", ""), "the database takes writes again")
			conns, err := s.Connections(ctx)
			require.NoError(t, err)
			require.Len(t, conns, 1, "nothing of the import is there")
			assert.Equal(t, "old-host", conns[0].Host)
		})
	}
}

func TestImportIsAllOrNothing(t *testing.T) {
	for _, db := range databases {
		t.Run(db.name, func(t *testing.T) {
			s := openStore(t, db.dsn(t), testKey)
			ctx := t.Context()
			require.NoError(t, s.SetVariable(ctx, "k_0900", "old", ""))
			vars := map[string]string{}
			for i := range 1200 {
				vars[fmt.Sprintf("k_%04d", i)] = "new"
			}
			// k_0900 exists and lies in the second batch: the first batch
			// was written by then, and must be rolled back.
			_, err := s.ImportVariables(ctx, vars, ImportOptions{OnExisting: Fail})
			require.Error(t, err)
			assert.Contains(t, err.Error(), "nothing was imported")
			all, err := s.Variables(ctx)
			require.NoError(t, err)
			require.Len(t, all, 1)
			assert.Equal(t, "old", all[0].Value.Reveal())

			res, err := s.ImportVariables(ctx, vars, ImportOptions{OnExisting: Skip})
			require.NoError(t, err)
			assert.Equal(t, ImportResult{Written: 1199, Skipped: 1}, res)
			v, _ := s.Variable(ctx, "k_0900")
			assert.Equal(t, "old", v)

			var progress []string
			res, err = s.ImportVariables(ctx, vars, ImportOptions{Progress: func(done, total int) {
				progress = append(progress, fmt.Sprintf("%d/%d", done, total))
			}})
			require.NoError(t, err)
			assert.Equal(t, ImportResult{Written: 1200}, res)
			assert.Equal(t, "500/1200 1000/1200 1200/1200", strings.Join(progress, " "))
			v, _ = s.Variable(ctx, "k_0900")
			assert.Equal(t, "new", v)
		})
	}
}
