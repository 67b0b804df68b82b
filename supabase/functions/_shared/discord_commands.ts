/**
 * The slash commands, in Discord's application command format (Discord developer docs,
 * "Application Commands": CHAT_INPUT type 1; option types 3 string, 4 integer, 10 number; names
 * 1–32 lower-case characters, descriptions 1–100, required options first, autocomplete instead of
 * choices where the values come from the database). This ONE module is what
 * `deno task register-commands` registers with Discord and what discord-interactions parses
 * options against, so the two cannot drift apart.
 */

/** Option types used here (Discord's numbering). */
export const OptionType = { STRING: 3, INTEGER: 4, NUMBER: 10 } as const;

/** One command option. */
export interface CommandOption {
  type: typeof OptionType[keyof typeof OptionType];
  name: string;
  description: string;
  required?: boolean;
  /** Values are suggested by discord-interactions from the tracked series. */
  autocomplete?: boolean;
  min_value?: number;
  max_value?: number;
  min_length?: number;
  max_length?: number;
}

/** One CHAT_INPUT command. */
export interface CommandDefinition {
  name: string;
  type: 1;
  description: string;
  options?: CommandOption[];
}

const symbol = (description: string): CommandOption => ({
  type: OptionType.STRING,
  name: "symbol",
  description,
  required: true,
  autocomplete: true,
  min_length: 2,
  max_length: 20,
});

const timeframe = (description: string, required = false): CommandOption => ({
  type: OptionType.STRING,
  name: "timeframe",
  description,
  required,
  autocomplete: true,
  min_length: 2,
  max_length: 3,
});

/** Longest /backtest period in days. */
export const BACKTEST_MAX_DAYS = 365;
/** /backtest period when none is given, in days. */
export const BACKTEST_DEFAULT_DAYS = 90;

/** Every command, in the order /help lists them. */
export const COMMANDS: readonly CommandDefinition[] = [
  {
    name: "status",
    type: 1,
    description:
      "Pipeline health: relay heartbeat, streams, last candles, signals today, Discord messages",
  },
  {
    name: "lastsignal",
    type: 1,
    description: "The latest signal of a symbol, as the card the bot posts",
    options: [
      symbol("Symbol, e.g. BTCUSDT"),
      timeframe("Timeframe, e.g. 1h (default: any)"),
    ],
  },
  {
    name: "subscribe",
    type: 1,
    description: "Be mentioned in the cards of a symbol's signals",
    options: [
      symbol("Symbol, e.g. BTCUSDT"),
      timeframe("Only this timeframe (default: every tracked one)"),
      {
        type: OptionType.NUMBER,
        name: "min_confidence",
        description:
          "Only signals whose chance of reaching TP1 is at least this, 0 to 1 (default 0: all)",
        min_value: 0,
        max_value: 1,
      },
    ],
  },
  {
    name: "unsubscribe",
    type: 1,
    description: "Stop being mentioned for a symbol (one timeframe, or all)",
    options: [
      symbol("Symbol, e.g. BTCUSDT"),
      timeframe("Only this timeframe (default: all of the symbol's)"),
    ],
  },
  {
    name: "subscriptions",
    type: 1,
    description: "Your subscriptions",
  },
  {
    name: "backtest",
    type: 1,
    description: "Backtest the analyzer on stored candles: trades, win rate, R, drawdown",
    options: [
      symbol("Symbol, e.g. BTCUSDT"),
      timeframe("Timeframe, e.g. 1h", true),
      {
        type: OptionType.INTEGER,
        name: "days",
        description:
          `Days back from the last candle, 1 to ${BACKTEST_MAX_DAYS} (default ${BACKTEST_DEFAULT_DAYS})`,
        min_value: 1,
        max_value: BACKTEST_MAX_DAYS,
      },
    ],
  },
  {
    name: "help",
    type: 1,
    description: "Every command and its options",
  },
];

/** The definition of command `name`, or undefined. */
export function commandNamed(name: string): CommandDefinition | undefined {
  return COMMANDS.find((c) => c.name === name);
}

/** `/subscribe symbol [timeframe] [min_confidence]`: the usage line /help shows. */
export function usage(c: CommandDefinition): string {
  const opts = (c.options ?? []).map((o) => (o.required ? o.name : `[${o.name}]`));
  return [`/${c.name}`, ...opts].join(" ");
}
