// A small Apple Music library client in Node (18 or later: built-in fetch, no dependencies).
// It adds catalog songs in batches, retries 429, 500 and 503 honouring Retry-After, stops
// on any other refusal with Apple's error code and parameter, and reads the library back.
//
//   APPLE_MUSIC_BASE_URL=http://127.0.0.1:8080 APPLE_MUSIC_DEVELOPER_TOKEN=... \
//   APPLE_MUSIC_USER_TOKEN=... node add_songs.mjs 1564531202 1577502911
//
// Prints one JSON line: {"requests": N, "retries": N, "library": [catalog ids]}; exit 1 on
// a refusal, 2 on a usage error.

const BASE_URL = (process.env.APPLE_MUSIC_BASE_URL || "https://api.music.apple.com").replace(/\/$/, "");
const BATCH_SIZE = 100; // keeps the request target well under 8,192 bytes
const MAX_RETRIES = 4;
const MAX_WAIT_SECONDS = 30;
const RETRYABLE = new Set([429, 500, 503]);

function headers() {
  return {
    Authorization: `Bearer ${process.env.APPLE_MUSIC_DEVELOPER_TOKEN}`,
    "Music-User-Token": process.env.APPLE_MUSIC_USER_TOKEN,
  };
}

// Seconds to wait before attempt `attempt` (0-based): Retry-After when the answer has one,
// else exponential back-off from 0.2 s.
function waitSeconds(response, attempt) {
  const retryAfter = Number.parseFloat(response.headers.get("retry-after") ?? "");
  const wait = Number.isFinite(retryAfter) ? retryAfter : 0.2 * 2 ** attempt;
  return Math.min(Math.max(wait, 0), MAX_WAIT_SECONDS);
}

class LibraryError extends Error {
  constructor(status, errors) {
    const first = errors[0] ?? {};
    const where = first.source?.parameter ? ` on ${first.source.parameter}` : "";
    super(`HTTP ${status}${first.code ? ` ${first.code}` : ""}${where}: ${first.detail ?? first.title ?? "no body"}`);
    this.status = status;
  }
}

async function send(method, path, stats) {
  for (let attempt = 0; ; attempt++) {
    const response = await fetch(`${BASE_URL}${path}`, { method, headers: headers() });
    stats.requests++;
    if (!RETRYABLE.has(response.status) || attempt === MAX_RETRIES) {
      if (response.status >= 400) {
        const text = await response.text();
        const errors = text ? (JSON.parse(text).errors ?? []) : [];
        throw new LibraryError(response.status, errors);
      }
      return response;
    }
    await response.arrayBuffer(); // finish the answer before the next request
    stats.retries++;
    await new Promise((resolve) => setTimeout(resolve, waitSeconds(response, attempt) * 1000));
  }
}

export async function addSongs(ids, stats = { requests: 0, retries: 0 }) {
  for (let start = 0; start < ids.length; start += BATCH_SIZE) {
    const batch = ids.slice(start, start + BATCH_SIZE).join(",");
    await send("POST", `/v1/me/library?ids[songs]=${batch}`, stats);
  }
  return stats;
}

export async function librarySongs(stats = { requests: 0, retries: 0 }) {
  const found = [];
  let next = "/v1/me/library/songs?limit=100";
  while (next) {
    const page = await (await send("GET", next, stats)).json();
    for (const song of page.data) found.push(song.attributes.playParams.catalogId ?? song.id);
    next = page.next;
  }
  return found;
}

async function main(ids) {
  if (ids.length === 0 || !process.env.APPLE_MUSIC_DEVELOPER_TOKEN || !process.env.APPLE_MUSIC_USER_TOKEN) {
    console.error("usage: APPLE_MUSIC_DEVELOPER_TOKEN=... APPLE_MUSIC_USER_TOKEN=... node add_songs.mjs ID...");
    return 2;
  }
  const stats = { requests: 0, retries: 0 };
  try {
    await addSongs(ids, stats);
    const library = await librarySongs(stats);
    console.log(JSON.stringify({ ...stats, library }));
    return 0;
  } catch (error) {
    if (!(error instanceof LibraryError)) throw error;
    console.error(`add_songs: ${error.message}`);
    return 1;
  }
}

process.exitCode = await main(process.argv.slice(2));
