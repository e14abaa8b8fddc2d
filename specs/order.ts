// The order berth lists names and timestamps in: by UTF-16 code unit, as Go's sort.Strings orders
// them for Kubernetes and Docker (and for ISO 8601 timestamps, oldest first). Not localeCompare or
// Intl.Collator: those load ICU's collation tables, ~2 MiB of the node binary's pages made resident
// in the daemon (a resident-memory goal of issue 16), and order by the host's locale.

/** Negative, zero or positive as `a` sorts before, with or after `b`. */
export function byCodeUnit(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
