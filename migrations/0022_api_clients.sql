-- The HTTP API (issue 17, docs/api.md): a token per client tool, and every commit a client made.
--
-- api_token: `billing api-token create --client <name> --scope read|commit` prints a token once; only
-- its sha256 is kept (a token is 32 random bytes, so a plain hash cannot be reversed by guessing). A
-- client may hold several tokens (rotation); a revoked token is refused from its revocation on.
create table api_token (
  id bigserial primary key,
  client text not null check (client ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$'),
  scope text not null check (scope in ('read', 'commit')),
  token_hash text not null unique check (token_hash ~ '^[0-9a-f]{64}$'),
  created_at timestamptz not null default now(),
  revoked_at timestamptz null
);
create index api_token_client on api_token (client);

-- api_commit: one row per (client, Idempotency-Key): the request it carried (its sha256, to refuse the
-- same key reused for another body), the response first given (replayed as it is for the same key) and
-- the correction it committed. Append-only, like the corrections it records.
create table api_commit (
  id bigserial primary key,
  client text not null,
  idempotency_key text not null check (length(idempotency_key) between 1 and 200),
  request_hash text not null,
  request jsonb not null,
  status_code integer not null,
  response jsonb not null,
  correction_id bigint null references correction (id),
  created_at timestamptz not null default now(),
  unique (client, idempotency_key)
);
create index api_commit_correction on api_commit (correction_id) where correction_id is not null;

create function forbid_change_of_api_commit() returns trigger language plpgsql as $$
begin
  raise exception 'api_commit is a record of commits made through the API and cannot be changed'
    using errcode = 'restrict_violation';
end;
$$;
create trigger api_commit_immutable before update or delete on api_commit
  for each row execute function forbid_change_of_api_commit();
create trigger api_commit_no_truncate before truncate on api_commit
  for each statement execute function forbid_change_of_api_commit();
