package config

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestFileBool(t *testing.T) {
	tests := []struct {
		name, ini string
		environ   []string
		def, want bool
		bad       string // the error's text holds this; "" means no error
	}{
		{name: "unset gives the default", ini: "[core]\n", def: true, want: true},
		{name: "True", ini: "[core]\nmulti_team = True\n", want: true},
		{name: "comment cut", ini: "[core]\nmulti_team = yes # on\n", want: true},
		{name: "off", ini: "[core]\nmulti_team = off\n", def: true, want: false},
		{name: "env first", ini: "[core]\nmulti_team = False\n", environ: []string{"AIRFLOW__CORE__MULTI_TEAM=1"}, want: true},
		{name: "not a boolean names the line", ini: "[core]\nmulti_team = sure\n", bad: "airflow.cfg:2"},
		{name: "not a boolean names the env var", environ: []string{"AIRFLOW__CORE__MULTI_TEAM=sure"}, bad: "AIRFLOW__CORE__MULTI_TEAM"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := Parse("airflow.cfg", []byte(tt.ini), tt.environ)
			require.NoError(t, err)
			got, err := f.Bool("core", "multi_team", tt.def)
			if tt.bad != "" {
				require.ErrorIs(t, err, ErrInvalid)
				assert.Contains(t, err.Error(), tt.bad)
				assert.NotContains(t, err.Error(), "sure")
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}
