/**
 * The fake Discord's checks of message bodies and command definitions, written from Discord's
 * developer docs ("Create Message", "Embed Limits", "Application Commands") and its error format:
 * a refused body is 400 `{code: 50035, message: "Invalid Form Body", errors: {<path>: {_errors:
 * [{code, message}]}}}`. Lengths count Unicode code points, as Discord does. Independent of the
 * project's own limit module (a fake never shares code with what it tests).
 */

/** Discord's nested form errors. */
export type FormErrors = Record<string, unknown>;

function len(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

function put(errors: FormErrors, path: (string | number)[], code: string, message: string): void {
  let node = errors as Record<string, unknown>;
  for (const p of path) {
    const k = String(p);
    node[k] ??= {};
    node = node[k] as Record<string, unknown>;
  }
  ((node._errors ??= []) as unknown[]).push({ code, message });
}

function maxLen(
  errors: FormErrors,
  path: (string | number)[],
  v: unknown,
  max: number,
  required = false,
): number {
  if (v === undefined || v === null) {
    if (required) put(errors, path, "BASE_TYPE_REQUIRED", "This field is required");
    return 0;
  }
  if (typeof v !== "string") {
    put(errors, path, "STRING_TYPE_CONVERT", "Could not interpret as string.");
    return 0;
  }
  const n = len(v);
  if (required && n === 0) put(errors, path, "BASE_TYPE_REQUIRED", "This field is required");
  if (n > max) put(errors, path, "BASE_TYPE_MAX_LENGTH", `Must be ${max} or fewer in length.`);
  return n;
}

/** Options of {@link validateMessage}. */
export interface MessageCheck {
  /** Names of the files sent with the request (multipart `files[n]`). */
  files: string[];
  /** Names of the attachments the message already has (edits). */
  existingAttachments?: string[];
  /** An edit: an empty body is fine. */
  edit?: boolean;
}

/**
 * Form errors of a create/edit message body (empty object = valid): content ≤ 2000; ≤ 10 embeds with
 * title ≤ 256, description ≤ 4096, ≤ 25 fields (name ≤ 256, value ≤ 1024, both required), footer ≤
 * 2048, author ≤ 256, together ≤ 6000; colour 0..0xFFFFFF; image URLs http(s) or attachment:// of a
 * sent or kept file; allowed_mentions users ≤ 100 and not beside parse "users"; nonce ≤ 25
 * characters; a message needs content, an embed or a file.
 */
export function validateMessage(body: Record<string, unknown>, check: MessageCheck): FormErrors {
  const errors: FormErrors = {};
  maxLen(errors, ["content"], body.content, 2000);
  const files = new Set([...check.files, ...(check.existingAttachments ?? [])]);
  const embeds = body.embeds;
  let total = 0;
  if (embeds !== undefined && embeds !== null) {
    if (!Array.isArray(embeds)) {
      put(errors, ["embeds"], "LIST_TYPE_CONVERT", "Must be an array.");
    } else {
      if (embeds.length > 10) {
        put(errors, ["embeds"], "BASE_TYPE_MAX_LENGTH", "Must be 10 or fewer in length.");
      }
      embeds.forEach((raw, i) => {
        const e = (raw ?? {}) as Record<string, unknown>;
        total += maxLen(errors, ["embeds", i, "title"], e.title, 256);
        total += maxLen(errors, ["embeds", i, "description"], e.description, 4096);
        const footer = e.footer as Record<string, unknown> | undefined;
        if (footer) {
          total += maxLen(errors, ["embeds", i, "footer", "text"], footer.text, 2048, true);
        }
        const author = e.author as Record<string, unknown> | undefined;
        if (author) {
          total += maxLen(errors, ["embeds", i, "author", "name"], author.name, 256, true);
        }
        if (
          e.color !== undefined &&
          !(Number.isInteger(e.color) && (e.color as number) >= 0 &&
            (e.color as number) <= 0xffffff)
        ) {
          put(
            errors,
            ["embeds", i, "color"],
            "NUMBER_TYPE_MAX",
            "int value should be less than or equal to 16777215.",
          );
        }
        const fields = e.fields;
        if (fields !== undefined) {
          if (!Array.isArray(fields)) {
            put(errors, ["embeds", i, "fields"], "LIST_TYPE_CONVERT", "Must be an array.");
          } else {
            if (fields.length > 25) {
              put(
                errors,
                ["embeds", i, "fields"],
                "BASE_TYPE_MAX_LENGTH",
                "Must be 25 or fewer in length.",
              );
            }
            fields.forEach((f: Record<string, unknown>, j: number) => {
              total += maxLen(errors, ["embeds", i, "fields", j, "name"], f?.name, 256, true);
              total += maxLen(errors, ["embeds", i, "fields", j, "value"], f?.value, 1024, true);
            });
          }
        }
        for (const key of ["image", "thumbnail"]) {
          const url = (e[key] as Record<string, unknown> | undefined)?.url;
          if (url === undefined) continue;
          const u = String(url);
          const att = /^attachment:\/\/(.+)$/.exec(u);
          // attachment://name: an ASCII name of letters, digits, _ - . that the message carries.
          const bad = att
            ? !/^[A-Za-z0-9_.-]+$/.test(att[1]) || !files.has(att[1])
            : !/^https?:\/\//.test(u);
          if (bad) {
            put(
              errors,
              ["embeds", i, key, "url"],
              "URL_TYPE_INVALID_URL",
              "Not a well formed URL.",
            );
          }
        }
        if (e.timestamp !== undefined && !Number.isFinite(Date.parse(String(e.timestamp)))) {
          put(errors, ["embeds", i, "timestamp"], "DATE_TYPE_PARSE", "Could not parse timestamp.");
        }
      });
      if (total > 6000) {
        put(
          errors,
          ["embeds"],
          "MAX_EMBED_SIZE_EXCEEDED",
          "Embed size exceeds maximum size of 6000",
        );
      }
    }
  }
  const am = body.allowed_mentions as Record<string, unknown> | undefined;
  if (am) {
    const users = am.users;
    if (users !== undefined && (!Array.isArray(users) || users.length > 100)) {
      put(
        errors,
        ["allowed_mentions", "users"],
        "BASE_TYPE_MAX_LENGTH",
        "Must be 100 or fewer in length.",
      );
    }
    if (
      Array.isArray(am.parse) && am.parse.includes("users") && Array.isArray(users) && users.length
    ) {
      put(
        errors,
        ["allowed_mentions"],
        "MESSAGE_ALLOWED_MENTIONS_PARSE_EXCLUSIVE",
        'parse:["users"] and users: [ids...] are mutually exclusive.',
      );
    }
  }
  if (body.nonce !== undefined) {
    const n = body.nonce;
    if (
      !(typeof n === "number" && Number.isInteger(n)) && !(typeof n === "string" && len(n) <= 25)
    ) {
      put(errors, ["nonce"], "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length.");
    }
  }
  const hasContent = typeof body.content === "string" && body.content.length > 0;
  const hasEmbeds = Array.isArray(embeds) && embeds.length > 0;
  if (!check.edit && !hasContent && !hasEmbeds && check.files.length === 0) {
    put(errors, ["content"], "BASE_TYPE_REQUIRED", "Cannot send an empty message");
  }
  return errors;
}

const NAME = /^[-_\p{L}\p{N}]{1,32}$/u;

/** Form errors of a bulk-overwrite body of CHAT_INPUT commands (empty object = valid). */
export function validateCommands(body: unknown): FormErrors {
  const errors: FormErrors = {};
  if (!Array.isArray(body)) {
    put(errors, [], "LIST_TYPE_CONVERT", "Must be an array.");
    return errors;
  }
  if (body.length > 100) put(errors, [], "BASE_TYPE_MAX_LENGTH", "Must be 100 or fewer in length.");
  const names = new Set<string>();
  body.forEach((raw, i) => {
    const c = (raw ?? {}) as Record<string, unknown>;
    const name = String(c.name ?? "");
    if (!NAME.test(name) || name !== name.toLowerCase()) {
      put(errors, [i, "name"], "APPLICATION_COMMAND_INVALID_NAME", "Command name is invalid");
    }
    if (names.has(name)) {
      put(
        errors,
        [i, "name"],
        "APPLICATION_COMMANDS_DUPLICATE_NAME",
        "Application command names must be unique",
      );
    }
    names.add(name);
    maxLen(errors, [i, "description"], c.description, 100, true);
    const options = c.options;
    if (options === undefined) return;
    if (!Array.isArray(options) || options.length > 25) {
      put(errors, [i, "options"], "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length.");
      return;
    }
    let optionalSeen = false;
    const optNames = new Set<string>();
    options.forEach((rawOpt: Record<string, unknown>, j: number) => {
      const o = rawOpt ?? {};
      const on = String(o.name ?? "");
      if (!NAME.test(on) || on !== on.toLowerCase()) {
        put(
          errors,
          [i, "options", j, "name"],
          "APPLICATION_COMMAND_INVALID_NAME",
          "Command name is invalid",
        );
      }
      if (optNames.has(on)) {
        put(
          errors,
          [i, "options", j, "name"],
          "APPLICATION_COMMAND_OPTIONS_DUPLICATE_NAME",
          "Option names must be unique",
        );
      }
      optNames.add(on);
      maxLen(errors, [i, "options", j, "description"], o.description, 100, true);
      if (![3, 4, 5, 6, 7, 8, 9, 10, 11].includes(o.type as number)) {
        put(
          errors,
          [i, "options", j, "type"],
          "BASE_TYPE_CHOICES",
          "Value must be one of the option types.",
        );
      }
      if (o.required === true && optionalSeen) {
        put(
          errors,
          [i, "options", j, "required"],
          "APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID",
          "Required options must be placed before non-required options",
        );
      }
      if (o.required !== true) optionalSeen = true;
      if (o.autocomplete === true && Array.isArray(o.choices) && o.choices.length) {
        put(
          errors,
          [i, "options", j, "autocomplete"],
          "AUTOCOMPLETE_CHOICES_EXCLUSIVE",
          "Autocomplete and choices are mutually exclusive",
        );
      }
      if (Array.isArray(o.choices) && o.choices.length > 25) {
        put(
          errors,
          [i, "options", j, "choices"],
          "BASE_TYPE_MAX_LENGTH",
          "Must be 25 or fewer in length.",
        );
      }
      for (const k of ["min_value", "max_value"]) {
        if (o[k] !== undefined && !(typeof o[k] === "number" && Number.isFinite(o[k]))) {
          put(errors, [i, "options", j, k], "NUMBER_TYPE_COERCE", "Value is not a valid number.");
        }
      }
    });
  });
  return errors;
}

/** True when a form-errors object holds no error. */
export function isValid(errors: FormErrors): boolean {
  return Object.keys(errors).length === 0;
}
