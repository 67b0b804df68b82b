/**
 * The fake Discord's reading of request bodies with files, written from Discord's developer docs
 * ("Uploading Files", "Editing Message Attachments", "Attachment Object"):
 *
 * - a `multipart/form-data` body carries the JSON body in the `payload_json` part, or (without it)
 *   as plain form fields (`content`, `tts`, …);
 * - each file is a part named `files[n]` with a `filename`; names must be unique; `n` is the
 *   attachment's placeholder id, which `attachments[].id` in the JSON refers to (an entry's
 *   `filename` renames the file, `description` describes it);
 * - all files of a request together may be at most {@link MAX_UPLOAD_BYTES} (413, code 40005);
 * - creating a message attaches every uploaded file; an edit with `attachments` keeps exactly the
 *   existing attachments it lists (by id) and appends only the new files it lists, an edit without
 *   it keeps every existing attachment and appends the new files;
 * - `attachment://name` in an embed may only name an attachment of the message, with an ASCII name
 *   of letters, digits, `_`, `-` and `.` (checked by validate.ts).
 *
 * Independent of the project's Discord client (a fake never shares code with what it tests).
 */

import type { FormErrors } from "./validate.ts";

/**
 * Most bytes of all files in one request: 10 MiB, Discord's upload limit for bots without boosts
 * (the docs said 8 MiB until Discord raised the free limit in 2024).
 */
export const MAX_UPLOAD_BYTES = 10 * 1024 * 1024;

/** One `files[n]` part. */
export interface Upload {
  /** The placeholder `n` of `files[n]`. */
  placeholder: string;
  file: File;
}

/** A request body as read: the JSON fields and the uploaded files, in part order. */
export interface ReadBody {
  body: Record<string, unknown>;
  uploads: Upload[];
}

/** Why a body was refused: HTTP status, Discord's error code and message, form errors if any. */
export interface Refusal {
  status: number;
  code: number;
  message: string;
  errors?: FormErrors;
}

function refusal(path: string, code: string, message: string): Refusal {
  return {
    status: 400,
    code: 50035,
    message: "Invalid Form Body",
    errors: { [path]: { _errors: [{ code, message }] } },
  };
}

/** Reads a JSON or multipart body (see the module doc). */
export async function readRequestBody(req: Request): Promise<ReadBody | Refusal> {
  const type = req.headers.get("content-type") ?? "";
  const unreadable: Refusal = {
    status: 400,
    code: 50109,
    message: "The request body contains invalid JSON.",
  };
  if (!type.startsWith("multipart/form-data")) {
    try {
      const text = await req.text();
      const body = text ? JSON.parse(text) : {};
      return body !== null && typeof body === "object" && !Array.isArray(body)
        ? { body, uploads: [] }
        : unreadable;
    } catch {
      return unreadable;
    }
  }
  let form: FormData;
  try {
    form = await req.formData();
  } catch {
    return refusal("_", "MULTIPART_INVALID", "Could not parse the multipart body.");
  }
  const uploads: Upload[] = [];
  const fields: Record<string, unknown> = {};
  let payload: unknown = undefined;
  let bytes = 0;
  for (const [name, value] of form.entries()) {
    const m = /^files\[(\d+)\]$/.exec(name);
    if (m) {
      if (!(value instanceof File)) {
        return refusal(name, "FILE_MISSING_FILENAME", "A file part needs a filename.");
      }
      if (uploads.some((u) => u.placeholder === m[1])) {
        return refusal(name, "FILE_DUPLICATE_NAME", "File parameters must be uniquely named.");
      }
      uploads.push({ placeholder: m[1], file: value });
      bytes += value.size;
    } else if (name === "payload_json") {
      try {
        payload = JSON.parse(typeof value === "string" ? value : await value.text());
      } catch {
        return unreadable;
      }
    } else if (typeof value === "string") {
      // Plain form fields stand for the JSON fields; a JSON-looking value is read as JSON.
      try {
        fields[name] = name === "content" ? value : JSON.parse(value);
      } catch {
        fields[name] = value;
      }
    }
  }
  if (bytes > MAX_UPLOAD_BYTES) {
    return { status: 413, code: 40005, message: "Request entity too large" };
  }
  if (payload === undefined) return { body: fields, uploads };
  if (payload === null || typeof payload !== "object" || Array.isArray(payload)) {
    return unreadable;
  }
  return { body: payload as Record<string, unknown>, uploads };
}

/** A file as it becomes an attachment: its final name, description and bytes. */
export interface NewAttachment {
  filename: string;
  description?: string;
  file: File;
}

/** What {@link resolveAttachments} decided for one create or edit. */
export interface ResolvedAttachments {
  /** Files that become new attachments, in upload order. */
  added: NewAttachment[];
  /** Ids of existing attachments kept (edits), or null = all kept. */
  keep: Set<string> | null;
}

/**
 * Matches `body.attachments` against the uploads (placeholders) and, for an edit, the message's
 * `existing` attachment ids (see the module doc). Refuses an entry that names neither.
 */
export function resolveAttachments(
  body: Record<string, unknown>,
  uploads: readonly Upload[],
  existing: readonly string[] | null,
): ResolvedAttachments | Refusal {
  const list = body.attachments;
  if (list === undefined || list === null) {
    return {
      added: uploads.map((u) => ({ filename: u.file.name, file: u.file })),
      keep: null,
    };
  }
  if (!Array.isArray(list)) {
    return refusal("attachments", "LIST_TYPE_CONVERT", "Must be an array.");
  }
  const named = new Map<string, { filename?: string; description?: string }>();
  const keep = new Set<string>();
  for (let i = 0; i < list.length; i++) {
    const a = list[i] as Record<string, unknown> | null;
    const id = a !== null && typeof a === "object" ? String(a.id ?? "") : "";
    if (uploads.some((u) => u.placeholder === id)) {
      named.set(id, {
        ...(typeof a?.filename === "string" ? { filename: a.filename } : {}),
        ...(typeof a?.description === "string" ? { description: a.description } : {}),
      });
    } else if (existing?.includes(id)) {
      keep.add(id);
    } else {
      return {
        status: 400,
        code: 50035,
        message: "Invalid Form Body",
        errors: {
          attachments: {
            [i]: {
              id: { _errors: [{ code: "ATTACHMENT_NOT_FOUND", message: "Unknown attachment" }] },
            },
          },
        },
      };
    }
  }
  const added = uploads
    // A create attaches every file; an edit appends only the files it lists.
    .filter((u) => existing === null || named.has(u.placeholder))
    .map((u) => {
      const n = named.get(u.placeholder);
      return {
        filename: n?.filename ?? u.file.name,
        ...(n?.description !== undefined ? { description: n.description } : {}),
        file: u.file,
      };
    });
  return { added, keep: existing === null ? null : keep };
}

/** True for a refusal (as opposed to a read body or resolved attachments). */
export function isRefusal(x: unknown): x is Refusal {
  return x !== null && typeof x === "object" && "status" in x && "code" in x;
}
