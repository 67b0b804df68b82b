/**
 * `deno task fake:discord` as a user runs it beside `deno task start`: it prints one line for every
 * message, and also for every edit of an interaction's original response (how /backtest delivers
 * its result and /lastsignal its chart) and every interaction follow-up, so a slash command tried
 * locally is seen to arrive. Requests are built here by hand in Discord's wire format.
 */

import assert from "node:assert/strict";

const root = new URL("../../", import.meta.url).pathname;
const UA = "DiscordBot (https://example.test, 1.0)";

/** Reads a stream's text as it arrives; `until` waits for a pattern with a deadline. */
function follow(stream: ReadableStream<Uint8Array>) {
  const reader = stream.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  let ended = false;
  const until = async (pattern: RegExp, what: string, ms = 60_000): Promise<RegExpExecArray> => {
    const deadline = Date.now() + ms;
    for (;;) {
      const m = pattern.exec(text);
      if (m) return m;
      if (ended || Date.now() > deadline) throw new Error(`no ${what} in:\n${text}`);
      const r = await Promise.race([
        reader.read(),
        new Promise<null>((res) => setTimeout(() => res(null), deadline - Date.now())),
      ]);
      if (r === null) continue;
      if (r.done) ended = true;
      else text += r.value;
    }
  };
  const rest = async () => {
    for (let r = await reader.read(); !r.done; r = await reader.read()) text += r.value;
    return text;
  };
  return { until, rest, text: () => text };
}

Deno.test("fake:discord prints interaction response edits and follow-ups as it prints messages", async () => {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["task", "-q", "fake:discord"],
    cwd: root,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).spawn();
  const out = follow(child.stdout);
  const err = follow(child.stderr);
  try {
    const settings = await err.until(
      /DISCORD_API_URL=(\S+) DISCORD_BOT_TOKEN=(\S+) DISCORD_CHANNEL_ID=(\S+)[\s\S]*DISCORD_APPLICATION_ID=(\S+)/,
      "settings",
    );
    const [, api, token, channel, app] = settings;
    const send = async (method: string, path: string, body: BodyInit, json = true) => {
      const res = await fetch(`${api}${path}`, {
        method,
        headers: {
          "User-Agent": UA,
          Authorization: `Bot ${token}`,
          ...(json ? { "Content-Type": "application/json" } : {}),
        },
        body,
      });
      const text = await res.text();
      assert.ok(res.ok, `${method} ${path}: ${res.status} ${text}`);
      return text ? JSON.parse(text) as Record<string, unknown> : {};
    };

    // A message as before: printed.
    await send("POST", `/channels/${channel}/messages`, JSON.stringify({ content: "card" }));
    await out.until(/^created \d+ in \d+: card$/m, "message line");

    // /backtest's result: an edit of the deferred original response.
    const backtest = "aW50ZXJhY3Rpb24tdG9rZW4tYmFja3Rlc3Q";
    await send(
      "PATCH",
      `/webhooks/${app}/${backtest}/messages/@original`,
      JSON.stringify({ embeds: [{ title: "Backtest BTCUSDT 1h", description: "12 trades" }] }),
    );
    await out.until(
      /^response edited \(interaction aW50ZXJhY3Rp…\): Backtest BTCUSDT 1h$/m,
      "response edit line",
    );

    // /lastsignal's chart: a multipart edit of the original response with a file.
    const form = new FormData();
    form.append(
      "payload_json",
      JSON.stringify({
        embeds: [{ title: "LONG ETHUSDT 1h", image: { url: "attachment://chart.png" } }],
        attachments: [{ id: 0, filename: "chart.png" }],
      }),
    );
    form.append("files[0]", new Blob([new Uint8Array([1, 2, 3])], { type: "image/png" }), "c.png");
    await send("PATCH", `/webhooks/${app}/lastsignal-token/messages/@original`, form, false);
    await out.until(
      /^response edited \(interaction lastsignal-t…\): LONG ETHUSDT 1h \[chart\.png\]$/m,
      "chart edit line",
    );

    // A follow-up message to an interaction, and its edit.
    const followup = await send(
      "POST",
      `/webhooks/${app}/${backtest}`,
      JSON.stringify({ content: "one more thing" }),
    );
    assert.equal(followup.webhook_id, app, "a follow-up is the application's webhook message");
    await out.until(
      new RegExp(`^follow-up created ${followup.id} in ${channel}: one more thing$`, "m"),
      "follow-up line",
    );
    await send(
      "PATCH",
      `/webhooks/${app}/${backtest}/messages/${followup.id}`,
      JSON.stringify({ content: "edited" }),
    );
    await out.until(
      new RegExp(`^follow-up edited ${followup.id} in ${channel}: edited$`, "m"),
      "follow-up edit line",
    );

    child.kill("SIGINT");
    const status = await child.status;
    assert.equal(status.code, 0, err.text());
    assert.equal((await out.rest()).trim().split("\n").length, 5, out.text());
  } finally {
    try {
      child.kill("SIGKILL");
    } catch { /* already gone */ }
    await child.status;
  }
});
