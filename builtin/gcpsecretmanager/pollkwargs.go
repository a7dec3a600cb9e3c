package gcpsecretmanager

import (
	"time"

	"github.com/secretpath/secretpath/builtin/internal/kit"
	"github.com/secretpath/secretpath/resolver/config"
)

// The change-poll kwargs (see "Change events" in the package doc).
const (
	pollIntervalKey = "changes_poll_interval_seconds"
	pollJitterKey   = "changes_poll_jitter_seconds"
	maxPollSeconds  = 86400
)

// pollKwargs reads changes_poll_interval_seconds and
// changes_poll_jitter_seconds as Options' ChangesPollInterval and
// ChangesPollJitter: absent or null gives 0 (the defaults); a negative
// interval switches polls off (-1); 0 is refused (a busy loop); a jitter
// of 0 gives -1 (none) and must not exceed the interval. Errors name the
// kwarg.
//
// (A copy of it is in the azurekeyvault package: it belongs in kit.)
func pollKwargs(kw *config.Kwargs) (interval, jitter time.Duration, err error) {
	secs, err := kw.Float(pollIntervalKey, 0)
	switch {
	case err != nil:
		return 0, 0, err
	case !kw.Has(pollIntervalKey) || kw.IsNull(pollIntervalKey):
		secs = DefaultChangesPollInterval.Seconds()
	case secs < 0:
		interval = -1
	case !(secs > 0 && secs <= maxPollSeconds): // NaN included
		return 0, 0, kit.KwargError(pollIntervalKey, "must be a number of seconds above 0 and at most 86400, or negative to switch change polls off")
	default:
		interval = time.Duration(secs * float64(time.Second))
	}
	j, err := kw.Float(pollJitterKey, 0)
	switch {
	case err != nil:
		return 0, 0, err
	case !kw.Has(pollJitterKey) || kw.IsNull(pollJitterKey):
		return interval, 0, nil
	case !(j >= 0) || (interval >= 0 && j > secs):
		return 0, 0, kit.KwargError(pollJitterKey, "must be a number of seconds between 0 (no jitter) and the poll interval")
	case j == 0:
		return interval, -1, nil
	}
	return interval, time.Duration(j * float64(time.Second)), nil
}
