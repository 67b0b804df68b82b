-- Seed: the default symbols and timeframes (BTCUSDT, ETHUSDT, SOLUSDT x 15m, 1h, 4h).
-- Idempotent: existing rows are left as they are.
insert into public.symbols (symbol, base_asset, quote_asset, display_name, timeframes) values
  ('BTCUSDT', 'BTC', 'USDT', 'BTC/USDT', '{15m,1h,4h}'),
  ('ETHUSDT', 'ETH', 'USDT', 'ETH/USDT', '{15m,1h,4h}'),
  ('SOLUSDT', 'SOL', 'USDT', 'SOL/USDT', '{15m,1h,4h}')
on conflict (symbol) do nothing;
