package wasmhost

import (
	"context"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
)

const instrumentationName = "github.com/secretpath/secretpath/wasmhost"

// Why a guest call failed, as the secretpath.wasm.failures metric says it.
const (
	reasonTrap        = "trap"         // the guest trapped (unreachable, out-of-bounds access, stack overflow, ...)
	reasonTimeout     = "timeout"      // the call passed its time limit
	reasonFuel        = "fuel"         // the call used its fuel (CPU) budget
	reasonMemory      = "memory_limit" // the guest trapped after its memory limit refused a grow
	reasonABI         = "abi"          // the guest broke the ABI (bad pointer, length, status)
	reasonExit        = "exit"         // the guest called proc_exit
	reasonInstantiate = "instantiate"  // the instance could not be created (not counted as a call failure)
)

var failureReasons = []string{reasonTrap, reasonTimeout, reasonFuel, reasonMemory, reasonABI, reasonExit, reasonInstantiate}

// hostMetrics are a Host's OpenTelemetry instruments; nil when the Host
// has no MeterProvider.
type hostMetrics struct {
	failures metric.Int64Counter // secretpath.wasm.failures {tenant, module, reason}
	recycled metric.Int64Counter // secretpath.wasm.instances.recycled {tenant, module, reason}
	created  metric.Int64Counter // secretpath.wasm.instances.created {tenant, module}
}

func newHostMetrics(mp metric.MeterProvider) *hostMetrics {
	if mp == nil {
		return nil
	}
	m := mp.Meter(instrumentationName)
	var hm hostMetrics
	var err error
	if hm.failures, err = m.Int64Counter("secretpath.wasm.failures", metric.WithUnit("{call}"),
		metric.WithDescription("Guest calls that failed, by tenant, module and reason (trap, timeout, fuel, memory_limit, abi, exit, instantiate).")); err != nil {
		return nil
	}
	if hm.recycled, err = m.Int64Counter("secretpath.wasm.instances.recycled", metric.WithUnit("{instance}"),
		metric.WithDescription("Instances discarded, by tenant, module and reason (failed: after a failed call; max_calls: after MaxCallsPerInstance calls).")); err != nil {
		return nil
	}
	if hm.created, err = m.Int64Counter("secretpath.wasm.instances.created", metric.WithUnit("{instance}"),
		metric.WithDescription("Instances created and initialised, by tenant and module.")); err != nil {
		return nil
	}
	return &hm
}

// tenantMetrics are one tenant's attribute sets, built once.
type tenantMetrics struct {
	h         *hostMetrics
	failure   map[string][]metric.AddOption
	recycled  [2][]metric.AddOption // 0: failed, 1: max_calls
	createdAt []metric.AddOption
}

func (hm *hostMetrics) forTenant(tenant, module string) *tenantMetrics {
	if hm == nil {
		return nil
	}
	base := []attribute.KeyValue{attribute.String("secretpath.tenant", tenant), attribute.String("secretpath.module", module)}
	with := func(kv ...attribute.KeyValue) []metric.AddOption {
		return []metric.AddOption{metric.WithAttributeSet(attribute.NewSet(append(append([]attribute.KeyValue(nil), base...), kv...)...))}
	}
	tm := &tenantMetrics{h: hm, failure: map[string][]metric.AddOption{}, createdAt: with()}
	for _, r := range failureReasons {
		tm.failure[r] = with(attribute.String("secretpath.reason", r))
	}
	tm.recycled[0] = with(attribute.String("secretpath.reason", "failed"))
	tm.recycled[1] = with(attribute.String("secretpath.reason", "max_calls"))
	return tm
}

func (tm *tenantMetrics) failed(reason string) {
	if tm != nil && reason != "" {
		tm.h.failures.Add(context.Background(), 1, tm.failure[reason]...)
	}
}

func (tm *tenantMetrics) recycle(broken bool) {
	if tm == nil {
		return
	}
	i := 1
	if broken {
		i = 0
	}
	tm.h.recycled.Add(context.Background(), 1, tm.recycled[i]...)
}

func (tm *tenantMetrics) instanceCreated() {
	if tm != nil {
		tm.h.created.Add(context.Background(), 1, tm.createdAt...)
	}
}
