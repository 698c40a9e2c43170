// URLs in model and user text, and the "explore a repository" command built from one (Layer 1,
// FIX 23). Pure.
import { shellQuote } from "./shell.js";

/** http(s) URLs; a `"` ends one (it closes a JSON string), as do spaces, quotes, brackets and backslashes. */
const URL_RE = /https?:\/\/[^\s\]\['\\<>",`)(}{|]+/g;

function tidy(url: string): string {
  // Sentence punctuation after a URL is not part of it.
  return url.replace(/[.,;:!?*_]+$/, "");
}

/** Every URL in the text, in order of appearance (so the newest is last). */
export function findUrls(text: string): string[] {
  return [...text.matchAll(URL_RE)].map((m) => tidy(m[0])).filter((u) => /^https?:\/\/[^/\s]+\.[^/\s]+|^https?:\/\/(?:localhost|\d+\.\d+\.\d+\.\d+)/.test(u));
}

/** Strings anywhere inside a JSON value (objects, lists), depth-limited. */
function jsonStrings(value: unknown, out: string[], depth = 0): void {
  if (depth > 8) return;
  if (typeof value === "string") out.push(value);
  else if (Array.isArray(value)) for (const v of value) jsonStrings(v, out, depth + 1);
  else if (value && typeof value === "object") {
    // `content` first: that is where the model puts the task text (messages: [{"content": "…"}]).
    const record = value as Record<string, unknown>;
    if (typeof record.content === "string") out.push(record.content);
    for (const [k, v] of Object.entries(record)) if (k !== "content") jsonStrings(v, out, depth + 1);
  }
}

/**
 * The URLs in a block of text, looking inside JSON too: an `<explore_agent>` body such as
 * `messages: [{"content": "… https://host/o/r"}]` hides the URL in a JSON string (FIX 23).
 */
export function findUrlsDeep(text: string): string[] {
  const direct = findUrls(text);
  if (direct.length) return direct;
  const jsonStart = text.search(/[[{]/);
  if (jsonStart < 0) return [];
  try {
    const strings: string[] = [];
    jsonStrings(JSON.parse(text.slice(jsonStart).trim()), strings);
    return strings.flatMap((s) => findUrls(s));
  } catch {
    return [];
  }
}

export interface RepoRef {
  kind: "github" | "gitea";
  /** scheme://host[:port] */
  origin: string;
  owner: string;
  repo: string;
}

const NAME = /^[A-Za-z0-9._-]{1,100}$/;

/**
 * A repository named by a URL: github.com (GitHub's REST API), or another forge with /owner/repo
 * paths, read through the Gitea/Forgejo API (Codeberg, self-hosted Gitea). The original sent every
 * host, GitHub included, to the Gitea API.
 */
export function repoFromUrl(url: string): RepoRef | null {
  const m = /^(https?:\/\/([^/\s?#]+))\/([^/\s?#]+)\/([^/\s?#]+)(\/[^\s?#]*)?/.exec(url);
  if (!m) return null;
  const host = m[2].toLowerCase();
  const owner = m[3];
  const repo = m[4].replace(/\.git$/, "");
  if (!NAME.test(owner) || !NAME.test(repo)) return null;
  if (host === "github.com" || host === "www.github.com") return { kind: "github", origin: "https://api.github.com", owner, repo };
  if (host === "api.github.com" || host === "raw.githubusercontent.com" || host === "gist.github.com") return null;
  // Elsewhere only a forge-shaped path counts: /owner/repo, or /owner/repo/src|tree|blob|releases/…;
  // a page such as /docs/install.html is a page.
  const rest = (m[5] ?? "").replace(/\/$/, "");
  if (/\.(?:html?|php|aspx?|md|txt|json|xml|pdf)$/i.test(repo)) return null;
  if (rest && !/^\/(?:src|tree|blob|raw|releases|tags|issues|pulls|commits?|wiki|archive|branches)(?:\/|$)/.test(rest)) return null;
  return { kind: "gitea", origin: m[1], owner, repo };
}

const CURL = "curl -sL --max-time 15";

/** `curl … '<url>' | head` for a page that is not a repository. */
export function fetchCommand(url: string): string {
  return `${CURL} ${shellQuote(url)} 2>/dev/null | head -200`;
}

/**
 * The command that explores what a URL points at: for a repository its README, top-level files and
 * latest releases through the forge's own API; otherwise the page itself. Every URL is shell-quoted.
 */
export function buildExploreCmd(url: string): string {
  const repo = repoFromUrl(url);
  if (!repo) return fetchCommand(url);
  const section = (title: string) => `echo ${shellQuote(`== ${title} ==`)}`;
  if (repo.kind === "github") {
    const api = `${repo.origin}/repos/${repo.owner}/${repo.repo}`;
    return [
      section(`${repo.owner}/${repo.repo} (GitHub)`),
      `${CURL} -H 'Accept: application/vnd.github.raw' ${shellQuote(`${api}/readme`)} | head -200`,
      section("files"),
      `${CURL} ${shellQuote(`${api}/contents`)} | grep -E '"(name|type)"' | head -100`,
      section("releases"),
      `${CURL} ${shellQuote(`${api}/releases?per_page=5`)} | grep -E '"(tag_name|name|published_at)"' | head -30`,
    ].join("; ");
  }
  const api = `${repo.origin}/api/v1/repos/${repo.owner}/${repo.repo}`;
  return [
    section(`${repo.owner}/${repo.repo} (Gitea API at ${repo.origin})`),
    `{ ${CURL} -f ${shellQuote(`${api}/raw/README.md`)} || ${CURL} ${shellQuote(url)}; } 2>/dev/null | head -200`,
    section("files"),
    `${CURL} ${shellQuote(`${api}/contents`)} | grep -E '"(name|type)"' | head -100`,
    section("releases"),
    `${CURL} ${shellQuote(`${api}/releases?limit=5`)} | grep -E '"(tag_name|name|published_at)"' | head -30`,
  ].join("; ");
}
