// The ABI v1 exports. Re-export them from the backend's entry file:
//   export * from "@secretpath/guest-sdk/assembly/abi";
import { _init, _lookup, exchange, BUFFER_SIZE } from "./index";

export function secretpath_abi_v1(): void {}
export function secretpath_buffer(): i32 { return <i32>exchange; }
export function secretpath_buffer_size(): i32 { return BUFFER_SIZE; }
export function secretpath_init(): i32 { return _init(); }
export function secretpath_get_connection(n: i32): i32 { return _lookup(0, n); }
export function secretpath_get_variable(n: i32): i32 { return _lookup(1, n); }
export function secretpath_get_config(n: i32): i32 { return _lookup(2, n); }
