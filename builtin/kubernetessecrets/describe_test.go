package kubernetessecrets_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/secretpath/secretpath/resolver"
)

// TestDescribe: what --explain shows for a lookup: the namespace, every
// selector in the order sent, the data key; or why no request is made.
// Describe does no I/O.
func TestDescribe(t *testing.T) {
	tests := []struct {
		name string
		kw   map[string]any
		cfg  string
		req  resolver.Request
		want string
	}{
		{
			name: "connection",
			req:  resolver.Request{Kind: resolver.KindConnection, ID: "db"},
			want: `secrets in namespace "airflow" with label selector "airflow.apache.org/connection-id=db", data key "value"`,
		},
		{
			name: "a team's variable: its own, then the global one",
			cfg:  multiTeam, kw: map[string]any{"variables_data_key": "v"},
			req:  resolver.Request{Kind: resolver.KindVariable, ID: "k", Team: "team_a"},
			want: `secrets in namespace "airflow" with label selector "airflow.apache.org/variable-key=k,airflow.apache.org/team=team_a", then "airflow.apache.org/variable-key=k,!airflow.apache.org/team", data key "v"`,
		},
		{
			name: "kind switched off",
			kw:   map[string]any{"config_label": nil},
			req:  resolver.Request{Kind: resolver.KindConfig, ID: "k"},
			want: "no request (config_label is null)",
		},
		{
			name: "an id that is no label value",
			req:  resolver.Request{Kind: resolver.KindVariable, ID: "a,b"},
			want: `no request ("a,b" cannot be a label value)`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newPod(t)
			b := mustOpen(t, p.kwargs(tt.kw), tt.cfg)
			assert.Equal(t, tt.want, b.Describe(tt.req))
			assert.Zero(t, p.fake.Count())
		})
	}
}
