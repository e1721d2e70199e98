// A small Apple Music library client in Node (18 or later: built-in fetch, no dependencies).
// It adds catalog songs in batches, retries 429, 500, 502, 503 and 504 honouring Retry-After
// (seconds or an HTTP date), stops on any other refusal with Apple's error code and
// parameter, and reads the library back (at most MAX_PAGES pages of `next`).
//
//   APPLE_MUSIC_BASE_URL=http://127.0.0.1:8080 APPLE_MUSIC_DEVELOPER_TOKEN=... \
//   APPLE_MUSIC_USER_TOKEN=... node add_songs.mjs 1564531202 1577502911
//
// Prints one JSON line: {"requests": N, "retries": N, "library": [catalog ids]}; exit 1 on
// a refusal, 2 on a usage error.

import { pathToFileURL } from "node:url";

const BASE_URL = (process.env.APPLE_MUSIC_BASE_URL || "https://api.music.apple.com").replace(/\/$/, "");
const BATCH_SIZE = 100; // keeps the request target well under 8,192 bytes
const MAX_RETRIES = 4;
const MAX_WAIT_SECONDS = 30;
const MAX_PAGES = 1000; // a server whose `next` never ends cannot keep the client reading
const RETRYABLE = new Set([429, 500, 502, 503, 504]);

function headers() {
  return {
    Authorization: `Bearer ${process.env.APPLE_MUSIC_DEVELOPER_TOKEN}`,
    "Music-User-Token": process.env.APPLE_MUSIC_USER_TOKEN,
  };
}

// Seconds a Retry-After value asks for: delay-seconds, or an HTTP date (RFC 9110); NaN when
// there is none or it is neither.
function retryAfterSeconds(value) {
  if (value === null || value.trim() === "") return Number.NaN;
  if (/^\s*\d+(\.\d+)?\s*$/.test(value)) return Number.parseFloat(value);
  return (Date.parse(value) - Date.now()) / 1000;
}

// Seconds to wait before attempt `attempt` (0-based): Retry-After when the answer has one,
// else exponential back-off from 0.2 s.
export function waitSeconds(response, attempt) {
  const retryAfter = retryAfterSeconds(response.headers.get("retry-after"));
  const wait = Number.isFinite(retryAfter) ? retryAfter : 0.2 * 2 ** attempt;
  return Math.min(Math.max(wait, 0), MAX_WAIT_SECONDS);
}

export class LibraryError extends Error {
  constructor(status, message, label = "") {
    super(`HTTP ${status}${label}: ${message}`);
    this.status = status;
  }

  // The error for a refusal: Apple's first error object (code, parameter, detail), or what
  // the body was when it is not JSON (a gateway's HTML page, say).
  static from(status, text) {
    let errors = [];
    try {
      errors = text ? (JSON.parse(text).errors ?? []) : [];
    } catch {
      return new LibraryError(status, `the body is not JSON: ${JSON.stringify(text.slice(0, 80))}`);
    }
    const first = errors[0] ?? {};
    const label = (first.code ? ` ${first.code}` : "") + (first.source?.parameter ? ` on ${first.source.parameter}` : "");
    return new LibraryError(status, first.detail ?? first.title ?? "no body", label);
  }
}

async function send(method, path, stats) {
  for (let attempt = 0; ; attempt++) {
    const response = await fetch(`${BASE_URL}${path}`, { method, headers: headers() });
    stats.requests++;
    if (!RETRYABLE.has(response.status) || attempt === MAX_RETRIES) {
      if (response.status >= 400) {
        throw LibraryError.from(response.status, await response.text());
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
  for (let pages = 0; next; pages++) {
    if (pages === MAX_PAGES) throw new LibraryError(200, `more than ${MAX_PAGES} pages of \`next\`: stopped`);
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

// Run as a program (not when imported, as the tests import it to try a server whose `next`
// never ends).
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) process.exitCode = await main(process.argv.slice(2));
