/**
 * The fake Discord reads file uploads as Discord's docs describe them ("Uploading Files", "Editing
 * Message Attachments"), so tests that post charts through it test the real wire format: raw
 * multipart bodies built here by hand (not by the project's client), `payload_json` or form fields,
 * `files[n]` placeholders matched to `attachments[].id`, renames, refusals, the upload limit and
 * edit semantics; attachments are served back byte for byte.
 */

import assert from "node:assert/strict";
import { encode } from "fast-png";
import { startFakeDiscord } from "../../scripts/fakes/discord.ts";
import { MAX_UPLOAD_BYTES } from "../../scripts/fakes/discord/uploads.ts";
import { attachmentBytes } from "../support/discord.ts";

const UA = "DiscordBot (https://example.test, 1.0)";

function png(width: number, height: number): Uint8Array<ArrayBuffer> {
  const data = new Uint8Array(width * height * 3).fill(200);
  return new Uint8Array(encode({ width, height, data, channels: 3 }));
}

type Part = { name: string; value: string } | {
  name: string;
  bytes: Uint8Array<ArrayBuffer>;
  filename?: string;
  type?: string;
};

function form(parts: Part[]): FormData {
  const f = new FormData();
  for (const p of parts) {
    if ("value" in p) f.append(p.name, p.value);
    else if (p.filename === undefined) f.append(p.name, new TextDecoder().decode(p.bytes));
    else f.append(p.name, new Blob([p.bytes], { type: p.type ?? "image/png" }), p.filename);
  }
  return f;
}

Deno.test("the fake Discord reads uploads as Discord does: payload_json or form fields, files[n] matched to attachments, refusals, the size limit, edits", async () => {
  const roomy = { limit: 100, windowMs: 1000 };
  const fake = await startFakeDiscord({
    limits: { "messages-create": roomy, "messages-edit": roomy },
  });
  const headers = { Authorization: `Bot ${fake.token}`, "User-Agent": UA };
  const url = `${fake.apiUrl}/channels/${fake.channelId}/messages`;
  const send = async (method: string, target: string, body: FormData | string) => {
    const res = await fetch(target, {
      method,
      headers: typeof body === "string"
        ? { ...headers, "Content-Type": "application/json" }
        : headers,
      body,
    });
    return { status: res.status, body: await res.json() as Record<string, unknown> };
  };
  try {
    const chart = png(80, 45);
    // payload_json + files[0]; the attachment entry names and describes it; the embed shows it.
    const created = await send(
      "POST",
      url,
      form([
        {
          name: "payload_json",
          value: JSON.stringify({
            embeds: [{ title: "card", image: { url: "attachment://chart.png" } }],
            attachments: [{ id: 0, filename: "chart.png", description: "the chart" }],
          }),
        },
        { name: "files[0]", bytes: chart, filename: "chart.png" },
      ]),
    );
    assert.equal(created.status, 200, JSON.stringify(created.body));
    const [m] = fake.messages;
    assert.equal(m.attachments.length, 1);
    const a = m.attachments[0];
    assert.deepEqual(
      [a.filename, a.size, a.content_type, a.description, a.width, a.height],
      ["chart.png", chart.length, "image/png", "the chart", 80, 45],
    );
    assert.deepEqual(await attachmentBytes(a), chart, "served back byte for byte");
    assert.deepEqual(fake.requests.at(-1)?.files, ["chart.png"]);

    // A placeholder other than 0, renamed by its attachment entry.
    const renamed = await send(
      "POST",
      url,
      form([
        {
          name: "payload_json",
          value: JSON.stringify({
            embeds: [{ title: "card", image: { url: "attachment://chart.png" } }],
            attachments: [{ id: "7", filename: "chart.png" }],
          }),
        },
        { name: "files[7]", bytes: chart, filename: "upload.bin" },
      ]),
    );
    assert.equal(renamed.status, 200, JSON.stringify(renamed.body));
    assert.equal(fake.messages[1].attachments[0].filename, "chart.png");

    // Without payload_json the form fields are the JSON fields.
    const plain = await send(
      "POST",
      url,
      form([
        { name: "content", value: "hello" },
        { name: "files[0]", bytes: chart, filename: "a.png" },
      ]),
    );
    assert.equal(plain.status, 200, JSON.stringify(plain.body));
    assert.equal(fake.messages[2].content, "hello");
    assert.equal(fake.messages[2].attachments[0].filename, "a.png");

    // Refusals: a duplicate part name, a file part without a filename, an attachment entry with no
    // file, an embed image naming no attachment or a non-ASCII name, too many bytes.
    const refused: [string, FormData, number, number][] = [
      [
        "duplicate files[0]",
        form([
          { name: "content", value: "x" },
          { name: "files[0]", bytes: chart, filename: "a.png" },
          { name: "files[0]", bytes: chart, filename: "b.png" },
        ]),
        400,
        50035,
      ],
      [
        "files[0] without a filename",
        form([{ name: "content", value: "x" }, { name: "files[0]", bytes: chart }]),
        400,
        50035,
      ],
      [
        "attachments entry without its file",
        form([
          {
            name: "payload_json",
            value: JSON.stringify({ content: "x", attachments: [{ id: 3 }] }),
          },
          { name: "files[0]", bytes: chart, filename: "a.png" },
        ]),
        400,
        50035,
      ],
      [
        "embed image naming no upload",
        form([
          {
            name: "payload_json",
            value: JSON.stringify({ embeds: [{ image: { url: "attachment://other.png" } }] }),
          },
          { name: "files[0]", bytes: chart, filename: "chart.png" },
        ]),
        400,
        50035,
      ],
      [
        "embed image with a name Discord does not take",
        form([
          {
            name: "payload_json",
            value: JSON.stringify({ embeds: [{ image: { url: "attachment://my chart.png" } }] }),
          },
          { name: "files[0]", bytes: chart, filename: "my chart.png" },
        ]),
        400,
        50035,
      ],
      [
        "over the upload limit",
        form([
          { name: "content", value: "x" },
          {
            name: "files[0]",
            bytes: new Uint8Array(MAX_UPLOAD_BYTES + 1),
            filename: "big.bin",
            type: "application/octet-stream",
          },
        ]),
        413,
        40005,
      ],
      ["payload_json that is not JSON", form([{ name: "payload_json", value: "{" }]), 400, 50109],
    ];
    for (const [what, body, status, code] of refused) {
      const r = await send("POST", url, body);
      assert.deepEqual(
        [r.status, r.body.code],
        [status, code],
        `${what}: ${JSON.stringify(r.body)}`,
      );
    }
    assert.equal(fake.messages.length, 3, "nothing refused was posted");

    // Edits: without `attachments` every attachment stays; new files listed in it are appended,
    // unlisted new files are not; existing ones not listed are removed; an unknown id is refused.
    const edit = `${url}/${m.id}`;
    const kept = await send("PATCH", edit, JSON.stringify({ content: "status: TP1" }));
    assert.equal(kept.status, 200, JSON.stringify(kept.body));
    assert.deepEqual(m.attachments.map((x) => x.filename), ["chart.png"]);
    const appended = await send(
      "PATCH",
      edit,
      form([
        {
          name: "payload_json",
          value: JSON.stringify({ attachments: [{ id: a.id }, { id: 1, filename: "v2.png" }] }),
        },
        { name: "files[1]", bytes: chart, filename: "x.png" },
        { name: "files[2]", bytes: chart, filename: "unlisted.png" },
      ]),
    );
    assert.equal(appended.status, 200, JSON.stringify(appended.body));
    assert.deepEqual(m.attachments.map((x) => x.filename), ["chart.png", "v2.png"]);
    const unknown = await send("PATCH", edit, JSON.stringify({ attachments: [{ id: "123" }] }));
    assert.equal(unknown.status, 400);
    // The card's image needs its attachment: removing it while the embed still shows it is refused.
    const orphan = await send(
      "PATCH",
      edit,
      JSON.stringify({
        embeds: [{ title: "card", image: { url: "attachment://chart.png" } }],
        attachments: [],
      }),
    );
    assert.equal(orphan.status, 400, JSON.stringify(orphan.body));
    const removed = await send(
      "PATCH",
      edit,
      JSON.stringify({ content: "no chart", embeds: [], attachments: [] }),
    );
    assert.equal(removed.status, 200, JSON.stringify(removed.body));
    assert.deepEqual(m.attachments, []);
  } finally {
    await fake.close();
  }
});
