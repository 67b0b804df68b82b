-- Outcome tracking on hand-made candles: TP/SL hits, stop-first, R, MFE/MAE, expiry.
begin;
create extension if not exists pgtap with schema extensions;
select plan(19);

create function pg_temp.bar(sym text, tf text, t timestamptz, h float8, l float8, c float8) returns void
language sql as $$
  insert into public.candles (symbol, timeframe, open_time, open, high, low, close, volume)
  values (sym, tf, t, least(greatest(c, l), h), h, l, c, 1)
$$;

-- Long: entry 100, stop 96 (risk 4), targets 108/112/116 = 2R/3R/4R.
insert into public.signals (symbol, timeframe, open_time, direction, entry, stop_loss, tp1, tp2, tp3, confidence)
values ('BTCUSDT', '1h', '2024-03-01 00:00+00', 'long', 100, 96, 108, 112, 116, 0.8),
-- Short: entry 200, stop 210 (risk 10), targets 180/170/160 = 2R/3R/4R.
       ('ETHUSDT', '1h', '2024-03-01 00:00+00', 'short', 200, 210, 180, 170, 160, 0.7),
-- Long that stays open: entry 50, stop 48 (risk 2).
       ('SOLUSDT', '1h', '2024-03-01 00:00+00', 'long', 50, 48, 54, 56, 58, 0.6);

select pg_temp.bar('BTCUSDT', '1h', '2024-03-01 00:00+00', 101, 99, 100);   -- the signal bar itself: ignored
select pg_temp.bar('BTCUSDT', '1h', '2024-03-01 01:00+00', 105, 99, 104);   -- nothing hit
select pg_temp.bar('BTCUSDT', '1h', '2024-03-01 02:00+00', 109, 103, 108);  -- TP1
select pg_temp.bar('BTCUSDT', '1h', '2024-03-01 03:00+00', 113, 95, 100);   -- TP2 and stop in one bar: stop first
select pg_temp.bar('BTCUSDT', '1h', '2024-03-01 04:00+00', 120, 110, 118);  -- after the close: ignored
select pg_temp.bar('ETHUSDT', '1h', '2024-03-01 01:00+00', 201, 179, 185);  -- TP1
select pg_temp.bar('ETHUSDT', '1h', '2024-03-01 02:00+00', 190, 158, 160);  -- TP2 and TP3
select pg_temp.bar('SOLUSDT', '1h', '2024-03-01 01:00+00', 51, 49.5, 51);   -- open, marked at 51

select is(api.track_outcomes(), 3, 'three open signals are examined');

select is((select outcome from public.signal_performance p join public.signals s on s.id = p.signal_id where s.symbol = 'BTCUSDT'),
  'sl', 'long: the stop ends the trade');
select is((select tp1_hit_at from public.signal_performance p join public.signals s on s.id = p.signal_id where s.symbol = 'BTCUSDT'),
  '2024-03-01 02:00+00'::timestamptz, 'long: TP1 hit time is the bar that reached it');
select is((select tp2_hit_at from public.signal_performance p join public.signals s on s.id = p.signal_id where s.symbol = 'BTCUSDT'),
  null, 'long: TP2 in the stop bar does not count (stop first)');
select is((select sl_hit_at from public.signal_performance p join public.signals s on s.id = p.signal_id where s.symbol = 'BTCUSDT'),
  '2024-03-01 03:00+00'::timestamptz, 'long: stop hit time recorded');
select is((select round(r_achieved::numeric, 6) from public.signal_performance p join public.signals s on s.id = p.signal_id where s.symbol = 'BTCUSDT'),
  0.000000, 'long: one third at +2R and two thirds at -1R make 0R');
select is((select round(mfe_r::numeric, 4) || '/' || round(mae_r::numeric, 4) from public.signal_performance p join public.signals s on s.id = p.signal_id where s.symbol = 'BTCUSDT'),
  '3.2500/1.2500', 'long: MFE 3.25R and MAE 1.25R (high 113, low 95)');
select is((select status from public.signals where symbol = 'BTCUSDT'), 'stopped', 'long: signal status is stopped');

select is((select outcome from public.signal_performance p join public.signals s on s.id = p.signal_id where s.symbol = 'ETHUSDT'),
  'tp3', 'short: TP3 reached');
select is((select tp2_hit_at = tp3_hit_at from public.signal_performance p join public.signals s on s.id = p.signal_id where s.symbol = 'ETHUSDT'),
  true, 'short: TP2 and TP3 hit in the same bar');
select is((select round(r_achieved::numeric, 6) from public.signal_performance p join public.signals s on s.id = p.signal_id where s.symbol = 'ETHUSDT'),
  3.000000, 'short: thirds at 2R, 3R, 4R make 3R');
select is((select status from public.signals where symbol = 'ETHUSDT'), 'tp3', 'short: signal status is tp3');

select is((select outcome from public.signal_performance p join public.signals s on s.id = p.signal_id where s.symbol = 'SOLUSDT'),
  'open', 'open trade stays open');
select is((select round(r_achieved::numeric, 6) from public.signal_performance p join public.signals s on s.id = p.signal_id where s.symbol = 'SOLUSDT'),
  0.500000, 'open trade is marked to the last close (+0.5R)');

select is(api.track_outcomes(), 1, 'closed signals are not examined again');
select is((select bars_checked from public.signal_performance p join public.signals s on s.id = p.signal_id where s.symbol = 'SOLUSDT'),
  1, 'a run without new candles re-examines nothing');

-- Expiry: entry 100, stop 90 (risk 10); after 2 bars the rest exits at the close 102 = +0.2R.
insert into public.signals (symbol, timeframe, open_time, direction, entry, stop_loss, tp1, tp2, tp3, confidence)
values ('BTCUSDT', '4h', '2024-03-01 00:00+00', 'long', 100, 90, 120, 130, 140, 0.9);
select pg_temp.bar('BTCUSDT', '4h', '2024-03-01 04:00+00', 101.5, 99, 101);
select pg_temp.bar('BTCUSDT', '4h', '2024-03-01 08:00+00', 103, 100, 102);
select pg_temp.bar('BTCUSDT', '4h', '2024-03-01 12:00+00', 125, 100, 124);
select is(api.track_outcomes(2), 2, 'the 4h signal and the open SOL signal are examined');
select is((select outcome || ':' || round(r_achieved::numeric, 6) from public.signal_performance p join public.signals s on s.id = p.signal_id
  where s.symbol = 'BTCUSDT' and s.timeframe = '4h'), 'expired:0.200000', 'expiry closes the trade at the last close');
select is((select count(*)::integer from public.v_signal_stats where closed > 0), 3,
  'v_signal_stats sees the closed trades');

select * from finish();
rollback;
