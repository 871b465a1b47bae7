-- A billing run closed `failed` says why (docs/architecture.md, "Run lifecycle"): e.g. "worker 2 was
-- killed by SIGKILL before its summary" for a split night (`billing run --workers N`), the ranges that
-- exhausted their attempts for a queued one. Before, the reason was only in the command's output and
-- log: a cron operator reading `billing runs show <id>` the next morning saw FAILED and no cause.
alter table billing_run add column failure_reason text null;
