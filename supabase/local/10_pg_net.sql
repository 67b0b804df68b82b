-- Local prelude, part 2: a pg_net-compatible `net` schema for plain Postgres (never on Supabase,
-- where the pg_net extension provides it). Same call signature, same tables: a request is a row in
-- net.http_request_queue, visible to the sender only after the transaction commits; the TypeScript
-- dispatcher (scripts/db/dispatcher.ts) sends it and writes the outcome to net._http_response.

do $$
begin
  if exists (select 1 from pg_extension where extname = 'pg_net') then
    return; -- the real thing is installed
  end if;
  create schema if not exists net;
  if not exists (select 1 from pg_type t join pg_namespace n on n.oid = t.typnamespace
                 where n.nspname = 'net' and t.typname = 'http_method') then
    create type net.http_method as enum ('GET', 'POST', 'DELETE');
  end if;
  create unlogged table if not exists net.http_request_queue (
    id bigserial primary key,
    method net.http_method not null,
    url text not null,
    headers jsonb not null default '{}',
    body bytea,
    timeout_milliseconds integer not null default 5000,
    created timestamptz not null default now()
  );
  create unlogged table if not exists net._http_response (
    id bigint primary key,
    status_code integer,
    content_type text,
    headers jsonb,
    content text,
    timed_out boolean,
    error_msg text,
    created timestamptz not null default now()
  );
  create index if not exists _http_response_created_idx on net._http_response (created);
end
$$;

-- Appends params to url as a query string, like pg_net does.
create or replace function net._url_with_params(url text, params jsonb)
returns text
language sql
immutable
set search_path = ''
as $$
  select case
    when params is null or params = '{}'::jsonb then url
    else url || case when position('?' in url) > 0 then '&' else '?' end || (
      select string_agg(key || '=' || replace(value, ' ', '%20'), '&' order by key)
      from jsonb_each_text(params)
    )
  end
$$;

-- pg_net's net.http_post: queues a POST (body jsonb) and returns the request id.
create or replace function net.http_post(
  url text,
  body jsonb default '{}'::jsonb,
  params jsonb default '{}'::jsonb,
  headers jsonb default '{"Content-Type": "application/json"}'::jsonb,
  timeout_milliseconds integer default 5000
)
returns bigint
language plpgsql
volatile
set search_path = ''
as $$
declare
  request_id bigint;
begin
  insert into net.http_request_queue (method, url, headers, body, timeout_milliseconds)
  values ('POST', net._url_with_params(url, params), coalesce(headers, '{}'::jsonb),
          convert_to(coalesce(body, 'null'::jsonb)::text, 'UTF8'), timeout_milliseconds)
  returning id into request_id;
  -- Delivered at commit only, so a LISTENing dispatcher never sees uncommitted requests.
  perform pg_notify('net_http_request', request_id::text);
  return request_id;
end
$$;

-- pg_net's net.http_get: queues a GET and returns the request id.
create or replace function net.http_get(
  url text,
  params jsonb default '{}'::jsonb,
  headers jsonb default '{}'::jsonb,
  timeout_milliseconds integer default 5000
)
returns bigint
language plpgsql
volatile
set search_path = ''
as $$
declare
  request_id bigint;
begin
  insert into net.http_request_queue (method, url, headers, body, timeout_milliseconds)
  values ('GET', net._url_with_params(url, params), coalesce(headers, '{}'::jsonb), null,
          timeout_milliseconds)
  returning id into request_id;
  perform pg_notify('net_http_request', request_id::text);
  return request_id;
end
$$;

-- What pg_net itself grants (pg_net 0.11.1 and later: security invoker functions, usage on the
-- schema and all on its tables and sequences to PUBLIC): every role can read the request queue, so
-- nothing secret may travel in a queued request (wake-ups are signed, see private.wake).
grant usage on schema net to public;
grant all on all tables in schema net to public;
grant all on all sequences in schema net to public;
grant execute on all functions in schema net to public;
