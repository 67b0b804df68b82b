-- Subscriptions: Discord user ids must be snowflakes and every refusal says why.
begin;
create extension if not exists pgtap with schema extensions;
select plan(18);

select throws_like($$select api.subscribe('0123', 'BTCUSDT')$$,
  'subscribe: discord_user_id must be a Discord snowflake: 17 to 20 digits, no leading zero (got "0123")',
  'a leading zero is refused (0123 and 123 cannot become two users)');
select throws_like($$select api.subscribe('123', 'BTCUSDT')$$, '%must be a Discord snowflake%', 'a 3-digit id is refused');
select throws_like($$select api.subscribe('0', 'BTCUSDT')$$, '%must be a Discord snowflake%', 'id 0 is refused');
select throws_like($$select api.subscribe('1234567890123456789012345', 'BTCUSDT')$$, '%must be a Discord snowflake%', 'a 25-digit id is refused');
select throws_like($$select api.subscribe('18446744073709551616', 'BTCUSDT')$$, '%must be a Discord snowflake%', 'an id beyond 2^64 - 1 is refused');
select throws_like($$select api.subscribe(null, 'BTCUSDT')$$, 'subscribe: discord_user_id is required', 'a missing id is refused');
select throws_ok(format('select api.subscribe(%L, %L)', '80351110224678912', E'BTC\tUSDT'), '22023',
  'subscribe: symbol must be 2 to 20 letters and digits, like BTCUSDT (got "BTC\tUSDT")',
  'a tab inside a symbol is named, visibly');
select throws_like($$select api.subscribe('80351110224678912', 'DOGEUSDT')$$,
  'subscribe: unknown symbol DOGEUSDT (tracked: %BTCUSDT%)', 'an unknown symbol lists the tracked ones');
select throws_like($$select api.subscribe('80351110224678912', 'BTCUSDT', '2m')$$,
  'subscribe: unknown timeframe "2m"%', 'an unknown timeframe is refused');
select throws_like($$select api.subscribe('80351110224678912', 'BTCUSDT', '1m')$$,
  'subscribe: BTCUSDT is analysed on 15m, 1h, 4h only (got 1m)', 'a timeframe the symbol is not analysed on is refused');
select throws_like($$select api.subscribe('80351110224678912', 'BTCUSDT', null, 'NaN')$$,
  'subscribe: min_confidence must be between 0 and 1%', 'a NaN threshold is refused');
update public.symbols set active = false where symbol = 'SOLUSDT';
select throws_like($$select api.subscribe('80351110224678912', 'SOLUSDT')$$,
  'subscribe: SOLUSDT is not tracked at the moment (inactive)', 'an inactive symbol is refused');
select is((select symbol || ' ' || timeframe from api.subscribe('80351110224678912', E' btcusdt\n', '4h')),
  'BTCUSDT 4h', 'surrounding whitespace is trimmed and the symbol upper-cased');
select throws_like($$select api.unsubscribe('42')$$, 'unsubscribe: discord_user_id must be a Discord snowflake%', 'unsubscribe checks the id');
select throws_like($$select * from api.list_subscriptions('abc')$$, 'list_subscriptions: discord_user_id must be a Discord snowflake%', 'list_subscriptions checks the id');
select throws_ok($$insert into public.user_subscriptions (discord_user_id, symbol) values ('0123', 'BTCUSDT')$$, '23514', null,
  'the table refuses a non-snowflake id from any writer');
select is(api.unsubscribe('80351110224678912', 'btcusdt', '4h'), 1, 'unsubscribe removes the subscription');

select is((select min_confidence from api.subscribe('175928847299117099', 'BTCUSDT')), 0::float8,
  'without a threshold a subscription takes every signal (confidence is a calibrated chance of TP1)');

select * from finish();
rollback;
