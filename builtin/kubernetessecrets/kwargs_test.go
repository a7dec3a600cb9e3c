package kubernetessecrets_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secretpath/secretpath/internal/k8sfake"
	"github.com/secretpath/secretpath/resolver"
	"github.com/secretpath/secretpath/resolver/config"
)

// TestKwargs: every kwarg Airflow takes (and ours) changes the request as
// Airflow's backend would send it: namespace, label selector, data key.
func TestKwargs(t *testing.T) {
	tests := []struct {
		name      string
		kw        map[string]any
		cfg       string
		secret    k8sfake.Secret
		req       resolver.Request
		wantNS    string
		wantSel   string
		wantValue string
	}{
		{
			name:   "defaults: connection",
			secret: k8sfake.Secret{Namespace: namespace, Name: "any-name", Labels: map[string]string{"airflow.apache.org/connection-id": "my_db"}, Data: map[string][]byte{"value": []byte("postgresql://u@h/db")}},
			req:    resolver.Request{Kind: resolver.KindConnection, ID: "my_db"},
			wantNS: namespace, wantSel: "airflow.apache.org/connection-id=my_db", wantValue: "postgresql://u@h/db",
		},
		{
			name:   "defaults: variable",
			secret: k8sfake.Secret{Namespace: namespace, Name: "v", Labels: map[string]string{"airflow.apache.org/variable-key": "api_key"}, Data: map[string][]byte{"value": []byte("my-value")}},
			req:    resolver.Request{Kind: resolver.KindVariable, ID: "api_key"},
			wantNS: namespace, wantSel: "airflow.apache.org/variable-key=api_key", wantValue: "my-value",
		},
		{
			name:   "defaults: config",
			secret: k8sfake.Secret{Namespace: namespace, Name: "c", Labels: map[string]string{"airflow.apache.org/config-key": "sql_alchemy_conn"}, Data: map[string][]byte{"value": []byte("sqlite:///airflow.db")}},
			req:    resolver.Request{Kind: resolver.KindConfig, ID: "sql_alchemy_conn"},
			wantNS: namespace, wantSel: "airflow.apache.org/config-key=sql_alchemy_conn", wantValue: "sqlite:///airflow.db",
		},
		{
			name:   "namespace",
			kw:     map[string]any{"namespace": "my-ns"},
			secret: k8sfake.Secret{Namespace: "my-ns", Name: "x", Labels: map[string]string{"airflow.apache.org/connection-id": "c"}, Data: map[string][]byte{"value": []byte("http://h")}},
			req:    resolver.Request{Kind: resolver.KindConnection, ID: "c"},
			wantNS: "my-ns", wantSel: "airflow.apache.org/connection-id=c", wantValue: "http://h",
		},
		{
			name:   "connections_label",
			kw:     map[string]any{"connections_label": "my-org/conn"},
			secret: k8sfake.Secret{Namespace: namespace, Name: "x", Labels: map[string]string{"my-org/conn": "my_db"}, Data: map[string][]byte{"value": []byte("postgresql://localhost/db")}},
			req:    resolver.Request{Kind: resolver.KindConnection, ID: "my_db"},
			wantNS: namespace, wantSel: "my-org/conn=my_db", wantValue: "postgresql://localhost/db",
		},
		{
			name:   "variables_label",
			kw:     map[string]any{"variables_label": "var"},
			secret: k8sfake.Secret{Namespace: namespace, Name: "x", Labels: map[string]string{"var": "k"}, Data: map[string][]byte{"value": []byte("v")}},
			req:    resolver.Request{Kind: resolver.KindVariable, ID: "k"},
			wantNS: namespace, wantSel: "var=k", wantValue: "v",
		},
		{
			name:   "config_label",
			kw:     map[string]any{"config_label": "example.com/cfg"},
			secret: k8sfake.Secret{Namespace: namespace, Name: "x", Labels: map[string]string{"example.com/cfg": "k"}, Data: map[string][]byte{"value": []byte("v")}},
			req:    resolver.Request{Kind: resolver.KindConfig, ID: "k"},
			wantNS: namespace, wantSel: "example.com/cfg=k", wantValue: "v",
		},
		{
			name:   "connections_data_key",
			kw:     map[string]any{"connections_data_key": "conn_uri"},
			secret: k8sfake.Secret{Namespace: namespace, Name: "x", Labels: map[string]string{"airflow.apache.org/connection-id": "my_db"}, Data: map[string][]byte{"conn_uri": []byte("postgresql://localhost/db"), "value": []byte("wrong")}},
			req:    resolver.Request{Kind: resolver.KindConnection, ID: "my_db"},
			wantNS: namespace, wantSel: "airflow.apache.org/connection-id=my_db", wantValue: "postgresql://localhost/db",
		},
		{
			name:   "variables_data_key",
			kw:     map[string]any{"variables_data_key": "v.txt"},
			secret: k8sfake.Secret{Namespace: namespace, Name: "x", Labels: map[string]string{"airflow.apache.org/variable-key": "k"}, Data: map[string][]byte{"v.txt": []byte("right"), "value": []byte("wrong")}},
			req:    resolver.Request{Kind: resolver.KindVariable, ID: "k"},
			wantNS: namespace, wantSel: "airflow.apache.org/variable-key=k", wantValue: "right",
		},
		{
			name:   "config_data_key",
			kw:     map[string]any{"config_data_key": "cfg"},
			secret: k8sfake.Secret{Namespace: namespace, Name: "x", Labels: map[string]string{"airflow.apache.org/config-key": "k"}, Data: map[string][]byte{"cfg": []byte("right"), "value": []byte("wrong")}},
			req:    resolver.Request{Kind: resolver.KindConfig, ID: "k"},
			wantNS: namespace, wantSel: "airflow.apache.org/config-key=k", wantValue: "right",
		},
		{
			name:   "team_label, multi_team on",
			kw:     map[string]any{"team_label": "example.com/owner"},
			cfg:    multiTeam,
			secret: k8sfake.Secret{Namespace: namespace, Name: "x", Labels: map[string]string{"airflow.apache.org/variable-key": "k", "example.com/owner": "team_a"}, Data: map[string][]byte{"value": []byte("team's")}},
			req:    resolver.Request{Kind: resolver.KindVariable, ID: "k", Team: "team_a"},
			wantNS: namespace, wantSel: "airflow.apache.org/variable-key=k,example.com/owner=team_a", wantValue: "team's",
		},
		{
			name:   "team_label null: no teams even with multi_team on",
			kw:     map[string]any{"team_label": nil},
			cfg:    multiTeam,
			secret: k8sfake.Secret{Namespace: namespace, Name: "x", Labels: map[string]string{"airflow.apache.org/variable-key": "k", "airflow.apache.org/team": "team_b"}, Data: map[string][]byte{"value": []byte("v")}},
			req:    resolver.Request{Kind: resolver.KindVariable, ID: "k", Team: "team_a"},
			wantNS: namespace, wantSel: "airflow.apache.org/variable-key=k", wantValue: "v",
		},
		{
			name:   "timeout_seconds as a string (a per-key override)",
			kw:     map[string]any{"timeout_seconds": "2.5"},
			secret: k8sfake.Secret{Namespace: namespace, Name: "x", Labels: map[string]string{"airflow.apache.org/variable-key": "k"}, Data: map[string][]byte{"value": []byte("v")}},
			req:    resolver.Request{Kind: resolver.KindVariable, ID: "k"},
			wantNS: namespace, wantSel: "airflow.apache.org/variable-key=k", wantValue: "v",
		},
		{
			name:   "in_cluster as a string",
			kw:     map[string]any{"in_cluster": "True"},
			secret: k8sfake.Secret{Namespace: namespace, Name: "x", Labels: map[string]string{"airflow.apache.org/variable-key": "k"}, Data: map[string][]byte{"value": []byte("v")}},
			req:    resolver.Request{Kind: resolver.KindVariable, ID: "k"},
			wantNS: namespace, wantSel: "airflow.apache.org/variable-key=k", wantValue: "v",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newPod(t)
			p.fake.Put(tt.secret)
			b := mustOpen(t, p.kwargs(tt.kw), tt.cfg)
			got, err := b.Lookup(t.Context(), tt.req)
			require.NoError(t, err)
			assert.Equal(t, tt.wantValue, got)
			last := p.fake.Last()
			assert.Equal(t, tt.wantNS, last.Namespace)
			assert.Equal(t, tt.wantSel, last.LabelSelector)
			assert.Equal(t, "0", last.ResourceVersion, "served from the watch cache, as Airflow asks")
			assert.Contains(t, b.Describe(tt.req), `"`+tt.wantSel+`"`, "Describe names the selector")
		})
	}
}

// TestKwargErrors: a bad kwarg is a configuration error naming it (with a
// "did you mean" for an unknown key), and building makes no request.
func TestKwargErrors(t *testing.T) {
	tests := []struct {
		name string
		kw   map[string]any
		want []string
	}{
		{"unknown key with a hint", map[string]any{"namspace": "x"}, []string{`unknown backend_kwargs key(s): namspace (did you mean "namespace"?)`}},
		{"two unknown keys, each with its hint", map[string]any{"namspace": "x", "timeout_second": 3},
			[]string{`unknown backend_kwargs key(s): namspace (did you mean "namespace"?), timeout_second (did you mean "timeout_seconds"?)`}},
		{"unknown key without a hint", map[string]any{"connections_prefix": "x"}, []string{"unknown backend_kwargs key(s): connections_prefix"}},
		{"a lookup pattern is not Airflow's", map[string]any{"variables_lookup_pattern": "x"}, []string{"variables_lookup_pattern"}},
		{"empty connections_label", map[string]any{"connections_label": ""}, []string{`"connections_label"`, "must not be empty"}},
		{"empty config_label", map[string]any{"config_label": ""}, []string{`"config_label"`, "must not be empty"}},
		{"label key with a space", map[string]any{"variables_label": "my label"}, []string{`"variables_label"`, "not a valid label key"}},
		{"label key prefix not a DNS name", map[string]any{"connections_label": "Example.COM/x"}, []string{`"connections_label"`, "prefix"}},
		{"label key too long", map[string]any{"connections_label": strings.Repeat("a", 64)}, []string{`"connections_label"`}},
		{"selector syntax in a label", map[string]any{"connections_label": "a,b"}, []string{`"connections_label"`}},
		{"empty team_label", map[string]any{"team_label": ""}, []string{`"team_label"`, "must not be empty"}},
		{"bad team_label", map[string]any{"team_label": "!team"}, []string{`"team_label"`, "not a valid label key"}},
		{"team_label not a string", map[string]any{"team_label": 3}, []string{`"team_label"`, "must be a string"}},
		{"data key null", map[string]any{"connections_data_key": nil}, []string{`"connections_data_key"`, "must be a string"}},
		{"data key empty", map[string]any{"variables_data_key": ""}, []string{`"variables_data_key"`, "not a valid secret data key"}},
		{"data key with a slash", map[string]any{"config_data_key": "a/b"}, []string{`"config_data_key"`, "not a valid secret data key"}},
		{"namespace upper-case", map[string]any{"namespace": "Airflow"}, []string{`"namespace"`, "not a valid namespace name"}},
		{"namespace with a slash", map[string]any{"namespace": "a/../b"}, []string{`"namespace"`}},
		{"namespace not a string", map[string]any{"namespace": 1}, []string{`"namespace"`, "must be a string"}},
		{"in_cluster not a boolean", map[string]any{"in_cluster": "maybe"}, []string{`"in_cluster"`}},
		{"in_cluster with a kubeconfig", map[string]any{"kube_config_path": "/x"}, []string{"in_cluster true excludes kube_config_path"}},
		{"timeout negative", map[string]any{"timeout_seconds": -1}, []string{`"timeout_seconds"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newPod(t)
			_, err := open(t, "kubernetes-secrets", p.kwargs(tt.kw), "")
			require.Error(t, err)
			assert.ErrorIs(t, err, config.ErrInvalid)
			for _, w := range tt.want {
				assert.Contains(t, err.Error(), w)
			}
			assert.LessOrEqual(t, strings.Count(err.Error(), "did you mean"), len(tt.kw), "one hint per key at most")
			assert.NotContains(t, err.Error(), saToken)
			assert.Zero(t, p.fake.Count(), "building a backend makes no request")
		})
	}
	t.Run("service account paths without in_cluster", func(t *testing.T) {
		_, err := open(t, "kubernetes-secrets", map[string]any{"in_cluster": false, "service_account_token_path": "/x"}, "")
		require.ErrorIs(t, err, config.ErrInvalid)
		assert.Contains(t, err.Error(), "need in_cluster")
	})
	t.Run("multi_team not a boolean", func(t *testing.T) {
		p := newPod(t)
		_, err := open(t, "kubernetes-secrets", p.kwargs(nil), "[core]\nmulti_team = perhaps\n")
		require.ErrorIs(t, err, config.ErrInvalid)
		assert.Contains(t, err.Error(), "multi_team")
	})
}
