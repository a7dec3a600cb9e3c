package kit

import (
	"time"

	"github.com/secretpath/secretpath/resolver/config"
)

// TimeoutKey is the kwarg bounding one lookup, for the backends that take
// one under that name (AWS, Azure).
const TimeoutKey = "timeout_seconds"

// Timeout reads timeout_seconds (see [Seconds]): at most a day.
func Timeout(kw *config.Kwargs) (time.Duration, error) {
	return Seconds(kw, TimeoutKey, 24*3600, "must be between 0 (no timeout) and 86400")
}

// Seconds reads key as a number of seconds bounding a lookup (a JSON
// number or a numeric string): absent or null gives 0, the backend's
// default; 0 gives -1, no bound but the caller's context. A value below 0,
// above max or NaN is an error whose text is `backend_kwargs key "key"`
// followed by want.
func Seconds(kw *config.Kwargs, key string, max float64, want string) (time.Duration, error) {
	secs, err := kw.Float(key, 0)
	switch {
	case err != nil:
		return 0, err
	case !kw.Has(key) || kw.IsNull(key):
		return 0, nil
	case !(secs >= 0 && secs <= max): // NaN included
		return 0, KwargError(key, want)
	case secs == 0:
		return -1, nil
	}
	return time.Duration(secs * float64(time.Second)), nil
}
