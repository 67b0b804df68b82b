/**
 * Discord's message and embed limits, and fitting any message inside them. A message that breaks a
 * limit is refused with 400 (Invalid Form Body) and never posted, so every message the functions
 * send goes through {@link fitMessage} first.
 *
 * Limits (Discord developer docs, "Embed Limits" and "Create Message"): title 256, description
 * 4096, at most 25 fields with name 256 and value 1024 (both non-empty), footer text 2048, author
 * name 256, and all embeds of a message together at most 6000 characters (title, description, field
 * names and values, footer text, author name); at most 10 embeds; content 2000; allowed_mentions
 * users ≤ 100; nonce ≤ 25 characters.
 *
 * Lengths here are UTF-16 code units (JavaScript's `length`), never fewer than the Unicode code
 * points Discord counts, so a fitted message is within the limits however Discord counts; text is
 * cut on code point boundaries so no half of a surrogate pair is ever sent.
 */

/** Discord's limits (characters). */
export const LIMITS = {
  content: 2000,
  embeds: 10,
  title: 256,
  description: 4096,
  fields: 25,
  fieldName: 256,
  fieldValue: 1024,
  footer: 2048,
  author: 256,
  embedTotal: 6000,
  mentions: 100,
  nonce: 25,
} as const;

/** An embed field. */
export interface EmbedField {
  name: string;
  value: string;
  inline?: boolean;
}

/** The subset of Discord's embed object the functions send. */
export interface Embed {
  title?: string;
  description?: string;
  /** 0xRRGGBB. */
  color?: number;
  fields?: EmbedField[];
  footer?: { text: string };
  author?: { name: string };
  /** ISO 8601 time shown beside the footer. */
  timestamp?: string;
  /** `attachment://chart.png` for an attached file, or an https URL. */
  image?: { url: string };
}

/** Allowed mentions: who a message may notify. */
export interface AllowedMentions {
  parse: ("users" | "roles" | "everyone")[];
  users?: string[];
  replied_user?: boolean;
}

/** The JSON body of a message to create or edit (fields the functions use). */
export interface MessageBody {
  content?: string;
  embeds?: Embed[];
  allowed_mentions?: AllowedMentions;
  nonce?: string;
  enforce_nonce?: boolean;
  message_reference?: { message_id: string; channel_id?: string; fail_if_not_exists?: boolean };
  /** Kept or new attachments (`{id, filename}`) when files are sent. */
  attachments?: { id: number | string; filename?: string }[];
  /** Ephemeral replies to interactions: 64. */
  flags?: number;
}

const ELLIPSIS = "…";

/** `text` cut to at most `max` UTF-16 units on a code point boundary, ending in "…" when cut. */
export function clip(text: string, max: number): string {
  if (text.length <= max) return text;
  if (max <= 0) return "";
  let out = "";
  for (const ch of text) {
    if (out.length + ch.length > max - ELLIPSIS.length) break;
    out += ch;
  }
  return out + ELLIPSIS;
}

/** Characters an embed counts toward the 6000 total. */
export function embedLength(e: Embed): number {
  let n = (e.title?.length ?? 0) + (e.description?.length ?? 0) + (e.footer?.text.length ?? 0) +
    (e.author?.name.length ?? 0);
  for (const f of e.fields ?? []) n += f.name.length + f.value.length;
  return n;
}

/** Each string of `e` within its own limit; empty field names and values become "—" (Discord refuses empty ones). */
function clipEach(e: Embed): Embed {
  const out: Embed = { ...e };
  if (e.title !== undefined) out.title = clip(e.title, LIMITS.title);
  if (e.description !== undefined) out.description = clip(e.description, LIMITS.description);
  if (e.footer) out.footer = { text: clip(e.footer.text || "—", LIMITS.footer) };
  if (e.author) out.author = { name: clip(e.author.name || "—", LIMITS.author) };
  if (e.fields) {
    out.fields = e.fields.slice(0, LIMITS.fields).map((f) => ({
      ...f,
      name: clip(f.name.trim() || "—", LIMITS.fieldName),
      value: clip(f.value.trim() || "—", LIMITS.fieldValue),
    }));
  }
  if (
    e.color !== undefined && !(Number.isInteger(e.color) && e.color >= 0 && e.color <= 0xffffff)
  ) {
    delete out.color;
  }
  return out;
}

/**
 * `embeds` within every limit: each string clipped to its own limit, at most 10 embeds, and, while
 * the total is over 6000, the longest of the description and the field values is shortened (down
 * to a short stub), then footers, then trailing fields are dropped. Titles are kept.
 */
export function fitEmbeds(embeds: readonly Embed[]): Embed[] {
  const out = embeds.slice(0, LIMITS.embeds).map(clipEach);
  const total = () => out.reduce((n, e) => n + embedLength(e), 0);
  let over = total() - LIMITS.embedTotal;
  while (over > 0) {
    // The longest shrinkable text gives up what is needed (never below 40 characters).
    let best: { e: Embed; get: () => string; set: (s: string) => void } | null = null;
    let bestLen = 40;
    for (const e of out) {
      if (e.description !== undefined && e.description.length > bestLen) {
        bestLen = e.description.length;
        best = { e, get: () => e.description ?? "", set: (s) => (e.description = s) };
      }
      for (const f of e.fields ?? []) {
        if (f.value.length > bestLen) {
          bestLen = f.value.length;
          best = { e, get: () => f.value, set: (s) => (f.value = s) };
        }
      }
    }
    if (best) {
      const cur = best.get();
      best.set(clip(cur, Math.max(40, cur.length - over)));
    } else {
      const footer = [...out].reverse().find((e) => e.footer)?.footer;
      const fields = [...out].reverse().find((e) => e.fields?.length)?.fields;
      const footed = [...out].reverse().find((e) => e.footer);
      if (footer && footer.text.length > 40) footer.text = clip(footer.text, 40);
      else if (fields) fields.pop();
      else if (footed) delete footed.footer;
      else {
        for (const e of out) if (e.description) e.description = clip(e.description, 1);
        break;
      }
    }
    over = total() - LIMITS.embedTotal;
  }
  return out;
}

/** `body` within every Discord message limit (content, embeds, mentions, nonce). */
export function fitMessage(body: MessageBody): MessageBody {
  const out: MessageBody = { ...body };
  if (body.content !== undefined) out.content = clip(body.content, LIMITS.content);
  if (body.embeds) out.embeds = fitEmbeds(body.embeds);
  if (body.allowed_mentions?.users) {
    out.allowed_mentions = {
      ...body.allowed_mentions,
      users: body.allowed_mentions.users.slice(0, LIMITS.mentions),
    };
  }
  if (body.nonce !== undefined && body.nonce.length > LIMITS.nonce) {
    throw new RangeError(`nonce ${body.nonce} is longer than ${LIMITS.nonce} characters`);
  }
  return out;
}
