/**
 * Development activity from the GitHub REST API into `github_metrics` (source 'github'), per
 * repository and Monday-start week (the bundled data's convention):
 * - commits per week from `/stats/commit_activity` (its per-weekday counts are re-bucketed from
 *   GitHub's Sunday-start weeks into Monday-start weeks exactly);
 * - distinct authors per week from `/stats/contributors` (GitHub's weeks start on Sunday; an
 *   author's week is assigned to the Monday after, so a Sunday-only author lands one week late);
 * - PRs opened/merged and issues opened/closed from the newest 100 of each list (weeks that
 *   page covers only in part are left out);
 * - stars, forks and contributors as of now, on the current week's row.
 * Repositories: those already known for the asset (bundled history), else the org's most
 * starred. A token is optional; without one GitHub allows 60 requests an hour, which the
 * bucket respects. Statistics GitHub is still computing (HTTP 202 after a few retries) are
 * reported as pending; an empty repository (HTTP 204) has zero activity.
 */
import { z } from 'zod';
import { AppError } from '../../../shared/errors';
import type { Core } from '../core';
import { stopsRun, type HttpClient } from './http';

const RepoInfo = z.object({ full_name: z.string(), stargazers_count: z.number(), forks_count: z.number(), archived: z.boolean().optional() });
const CommitActivity = z.array(z.object({ week: z.number(), total: z.number(), days: z.array(z.number()).length(7) }));
const Contributors = z.array(z.object({ author: z.object({ login: z.string() }).nullable(), total: z.number(), weeks: z.array(z.object({ w: z.number(), c: z.number() })) }));
const Pulls = z.array(z.object({ created_at: z.string(), merged_at: z.string().nullable() }));
const Issues = z.array(z.object({ created_at: z.string(), closed_at: z.string().nullable(), pull_request: z.unknown().optional() }));
/**
 * Statistics: `202 Accepted` while GitHub computes them (retried a few times by the client,
 * never cached; still 202 after that is reported as pending), `204 No Content` with an empty
 * body for an empty repository, which is zero activity (null here).
 */
const Empty = z.null();

const DAY = 86_400_000;

/** Monday (UTC) of the week containing `ms`, as YYYY-MM-DD. */
export function mondayOf(ms: number): string {
  const d = new Date(ms);
  const dow = (d.getUTCDay() + 6) % 7;
  return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()) - dow * DAY).toISOString().slice(0, 10);
}

interface WeekRow {
  commits?: number;
  distinct_authors?: number;
  prs_opened?: number;
  prs_merged?: number;
  issues_opened?: number;
  issues_closed?: number;
  stars?: number;
  forks?: number;
  contributors?: number;
}

function reposFor(core: Core, assetId: string): string[] {
  const known = core.store.db.prepare<unknown[], { repo: string }>(`SELECT DISTINCT repo FROM github_metrics WHERE asset_id = ? AND repo LIKE '%/%' ORDER BY repo`).all(assetId);
  return known.map((r) => r.repo);
}

export async function collectGithub(args: { core: Core; client: HttpClient; assets?: readonly string[] | undefined; maxReposPerAsset?: number; signal: AbortSignal; progress: (done: number, total: number | null, message?: string) => void; now?: number }): Promise<{ items: number; details: Record<string, unknown> }> {
  const { core, client, signal } = args;
  const base = core.config.githubBaseUrl.replace(/\/$/, '');
  const headers: Record<string, string> = { accept: 'application/vnd.github+json', 'x-github-api-version': '2022-11-28' };
  if (core.config.githubToken) headers.authorization = `Bearer ${core.config.githubToken}`;
  const maxRepos = args.maxReposPerAsset ?? 5;
  const now = args.now ?? Date.now();
  const all = core.store.db.prepare<unknown[], { asset_id: string; github_org: string }>(`SELECT asset_id, github_org FROM crypto_assets WHERE github_org IS NOT NULL AND github_org <> '' ORDER BY asset_id`).all();
  const list = args.assets && args.assets.length > 0 ? all.filter((a) => args.assets?.includes(a.asset_id)) : all;
  const get = <S extends z.ZodType>(path: string, schema: S, what: string): Promise<z.output<S>> => client.request({ url: `${base}${path}`, headers, schema, signal, cacheTtlSec: 3600, what }).then((r) => r.data);
  /** A statistics endpoint: its data, null for an empty repository (204), 'pending' while still 202 after the retries. */
  const stats = async <S extends z.ZodType>(path: string, schema: S, what: string): Promise<z.output<S> | null | 'pending'> => {
    try {
      return (await client.request({ url: `${base}${path}`, headers, schema: z.union([schema, Empty]), signal, cacheTtlSec: 3600, retryAccepted: true, what })).data as z.output<S> | null;
    } catch (err) {
      if (err instanceof AppError && err.details?.accepted === true) return 'pending';
      throw err;
    }
  };

  let items = 0;
  const pending: string[] = [];
  const failed: { repo: string; code: string; message: string }[] = [];
  for (const [i, a] of list.entries()) {
    if (signal.aborted) throw new AppError('CANCELLED', 'GitHub collection was cancelled');
    args.progress(i, list.length, a.asset_id);
    let repos = reposFor(core, a.asset_id);
    if (repos.length === 0) {
      const org = a.github_org.replace(/^https?:\/\/github\.com\//, '').split('/')[0] as string;
      const listed = await get(`/users/${encodeURIComponent(org)}/repos?per_page=100&type=owner&sort=pushed`, z.array(RepoInfo), `repos of ${org}`);
      repos = listed
        .filter((r) => !r.archived)
        .sort((x, y) => y.stargazers_count - x.stargazers_count)
        .map((r) => r.full_name);
    }
    for (const repo of repos.slice(0, maxRepos)) {
      try {
        const weeks = new Map<string, WeekRow>();
        const at = (week: string): WeekRow => {
          let w = weeks.get(week);
          if (!w) weeks.set(week, (w = {}));
          return w;
        };
        const info = await get(`/repos/${repo}`, RepoInfo, `repo ${repo}`);
        const stat = await stats(`/repos/${repo}/stats/commit_activity`, CommitActivity, `commit activity ${repo}`);
        const activity = stat === null ? [] : stat;
        if (Array.isArray(activity)) {
          for (const w of activity)
            w.days.forEach((c, d) => {
              if (c > 0) {
                const row = at(mondayOf(w.week * 1000 + d * DAY));
                row.commits = (row.commits ?? 0) + c;
              }
            });
          // Weeks inside the window with no commits are real zeros.
          for (const w of activity) for (let d = 0; d < 7; d++) at(mondayOf(w.week * 1000 + d * DAY)).commits ??= 0;
        } else pending.push(`${repo}: commit activity`);
        const contribStat = await stats(`/repos/${repo}/stats/contributors`, Contributors, `contributors ${repo}`);
        const contributors = contribStat === null ? [] : contribStat;
        let contributorCount: number | undefined;
        if (Array.isArray(contributors)) {
          contributorCount = contributors.length;
          const authors = new Map<string, Set<string>>();
          for (const c of contributors)
            for (const w of c.weeks)
              if (w.c > 0) {
                const week = mondayOf(w.w * 1000 + DAY);
                let s = authors.get(week);
                if (!s) authors.set(week, (s = new Set()));
                s.add(c.author?.login ?? `anon-${c.total}`);
              }
          for (const [week, s] of authors) if (weeks.has(week) || week >= mondayOf(now - 365 * DAY)) at(week).distinct_authors = s.size;
        } else pending.push(`${repo}: contributors`);
        // One page (the newest 100) per list. When the page is full, the week of its oldest item
        // is only partly seen: counts for that week and earlier are left out, not undercounted.
        const cutoff = (createdAt: string[]): string | null => (createdAt.length >= 100 ? mondayOf(Math.min(...createdAt.map((c) => Date.parse(c)))) : null);
        const bump = (ms: number, key: 'prs_opened' | 'prs_merged' | 'issues_opened' | 'issues_closed', floor: string | null): void => {
          const week = mondayOf(ms);
          if (floor !== null && week <= floor) return;
          const w = at(week);
          w[key] = (w[key] ?? 0) + 1;
        };
        const pulls = await get(`/repos/${repo}/pulls?state=all&sort=created&direction=desc&per_page=100`, Pulls, `pulls ${repo}`);
        const pullFloor = cutoff(pulls.map((p) => p.created_at));
        for (const p of pulls) {
          bump(Date.parse(p.created_at), 'prs_opened', pullFloor);
          if (p.merged_at) bump(Date.parse(p.merged_at), 'prs_merged', pullFloor);
        }
        const issues = await get(`/repos/${repo}/issues?state=all&sort=created&direction=desc&per_page=100`, Issues, `issues ${repo}`);
        const issueFloor = cutoff(issues.map((i) => i.created_at));
        for (const it of issues) {
          if (it.pull_request !== undefined) continue; // the issues list includes PRs
          bump(Date.parse(it.created_at), 'issues_opened', issueFloor);
          if (it.closed_at) bump(Date.parse(it.closed_at), 'issues_closed', issueFloor);
        }
        const current = at(mondayOf(now));
        current.stars = info.stargazers_count;
        current.forks = info.forks_count;
        if (contributorCount !== undefined) current.contributors = contributorCount;
        const stamp = new Date().toISOString();
        const rows = [...weeks.entries()].map(([week_start, w]) => ({ asset_id: a.asset_id, repo, week_start, source: 'github', ...w, updated_at: stamp }));
        core.store.write('github_metrics', rows);
        items += rows.length;
      } catch (err) {
        if ((err instanceof AppError && (err.code === 'CANCELLED' || err.code === 'RATE_LIMITED')) || stopsRun(err)) throw err;
        failed.push({ repo, code: err instanceof AppError ? err.code : 'INTERNAL', message: (err as Error).message });
      }
    }
  }
  args.progress(list.length, list.length, 'done');
  if (failed.length > 0 && items === 0) throw new AppError('UPSTREAM', `github: every repository failed; first: ${failed[0]?.message}`, { details: { failed } });
  return { items, details: { assets: list.length, pending, failed } };
}
