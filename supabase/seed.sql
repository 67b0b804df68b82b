-- Seed: default symbols and timeframes (filled in by the schema migration).
select 1;
