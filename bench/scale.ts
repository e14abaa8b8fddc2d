// `npm run bench -- scale [N...]`: how berth and Docker grow with the number of containers. For each
// N (default 10 50 100 200 500), from nothing: `berth apply` of N `sleep` containers until all are
// Running vs `docker-compose up -d` of the same N services; then, with the N running and the host
// quiet again (lib.ts quietHost), each daemon's resident memory (berth's daemon; dockerd+containerd),
// berth's monitors' memory, and a scrape of berth's /metrics (every container's cAdvisor series;
// curl as the scraper, scrapeMs) against `docker stats --no-stream` (Docker's per-container
// figures). One round per N (500 containers take minutes on this host).
// Writes bench/scale.json and the plot bench/scale.svg (bench/plot.ts); the last line is the
// apply time at the largest N.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BERTH, run, sleepCompose, sleepManifests, startFleet, until } from './fleet.ts';
import { insidePrivateNetns, median, quietHost, report, rssKiB, timeMs } from './lib.ts';
import { writeScalePlot, type ScaleRow } from './plot.ts';

const HERE = fileURLToPath(new URL('.', import.meta.url));

/** Resident memory of every berth-monitor process of this daemon's root, in KiB. */
function monitorsKiB(root: string): number[] {
  const out: number[] = [];
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      if (cmd.includes('berth-monitor') && cmd.includes(root)) out.push(rssKiB(Number(pid)));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

export default async function bench(args: string[]): Promise<void> {
  if (!insidePrivateNetns('scale', args)) return;
  const sizes = args.length ? args.map(Number) : [10, 50, 100, 200, 500];
  const fleet = await startFleet('scale');
  const { image, dockerd, composeEnv } = fleet;
  const env = fleet.berth.env;
  const rows: ScaleRow[] = [];
  const idle = { berth: rssKiB(fleet.berth.pid), docker: dockerd.rssKiB() };
  try {
    for (const [i, n] of sizes.entries()) {
      const manifests = join(fleet.tmp, `scale-${n}.yaml`);
      writeFileSync(manifests, sleepManifests(n, image));
      const compose = join(fleet.tmp, `compose-${n}.yml`);
      writeFileSync(compose, sleepCompose(n, image));
      const berthMs = await timeMs(async () => {
        const running = fleet.whenRunning(n);
        await run(BERTH, ['apply', '-f', manifests], { env });
        await running;
      });
      const composeMs = await timeMs(() => run('docker-compose', ['-p', 'scale', '-f', compose, 'up', '-d', '--no-color'], { env: composeEnv, maxBuffer: 1 << 26 }));
      // Both daemons' memory and their per-container figures at rest: once the host is quiet again
      // after the two fleets came up (or after a minute), each measured the same way.
      const quiet = await quietHost(60_000);
      const scrapes: number[] = [];
      for (let i = 0; i < 7; i++) scrapes.push(await scrapeMs(fleet.berth.metricsUrl));
      const statsMs = await timeMs(() => dockerd.docker(['stats', '--no-stream', '--format', '{{.Name}} {{.CPUPerc}} {{.MemUsage}}']));
      const monitors = monitorsKiB(fleet.berth.root);
      const row: ScaleRow = {
        n,
        berthApplyMs: berthMs,
        composeUpMs: composeMs,
        berthRssMiB: rssKiB(fleet.berth.pid) / 1024,
        dockerRssMiB: dockerd.rssKiB() / 1024,
        monitorRssKiB: median(monitors),
        metricsMs: median(scrapes),
        dockerStatsMs: statsMs,
      };
      rows.push(row);
      console.log(
        `N=${n}: apply berth ${berthMs.toFixed(0)} ms, docker-compose ${composeMs.toFixed(0)} ms, ratio ${(berthMs / composeMs).toFixed(3)}; ` +
          `RSS berth ${row.berthRssMiB.toFixed(1)} MiB, dockerd+containerd ${row.dockerRssMiB.toFixed(1)} MiB; monitor ${row.monitorRssKiB.toFixed(0)} KiB each (${monitors.length}); ` +
          `/metrics ${row.metricsMs.toFixed(1)} ms, docker stats ${statsMs.toFixed(0)} ms (after ${(quiet.waitedMs / 1000).toFixed(0)} s for a quiet host, ${(quiet.idle * 100).toFixed(0)}% idle)`,
      );
      // Written after every N, so that a run cut short still leaves its figures and plot.
      writeFileSync(join(HERE, 'scale.json'), JSON.stringify({ idleRssMiB: { berth: idle.berth / 1024, docker: idle.docker / 1024 }, rows }, null, 2) + '\n');
      await writeScalePlot(rows, join(HERE, 'scale.svg'));
      // The closing figures are printed before the last size is cleaned up, and the peer's cleanup
      // has a limit: once, docker-compose down of the 500 waited on dockerd for over 9 minutes (a
      // `docker stop` of one of them hung too), and the run's closing lines were lost with it.
      if (i === sizes.length - 1) printClosing(rows);
      await run('docker-compose', ['-p', 'scale', '-f', compose, 'down', '-t', '0'], { env: composeEnv, maxBuffer: 1 << 26, timeout: PEER_CLEANUP_LIMIT_MS });
      await run(process.execPath, [BERTH, 'delete', '-f', manifests], { env });
      await until('all removed', async () => (await fleet.all()) === 0);
    }
  } finally {
    await fleet.stop();
  }
}

/**
 * One scrape of /metrics as a scraper sees it: curl's time from the request to the body's last
 * byte (its process's start not counted), as Prometheus's scrape_duration_seconds counts its own.
 * Not this process's fetch(): with 500 containers the body is 2.4 MB, and undici's web streams and
 * decoding it into a string cost this process 15-140 ms a scrape (a fresh process 13-30 ms), where
 * the daemon's part was 8-11 ms (curl) — the bench measured its own client.
 */
async function scrapeMs(url: string): Promise<number> {
  const { stdout } = await run('curl', ['-sf', '-o', '/dev/null', '-w', '%{time_total}', url]);
  return Number(stdout) * 1000;
}

/** docker-compose down of 500 services takes 2-4 minutes on this host. */
const PEER_CLEANUP_LIMIT_MS = 10 * 60_000;

/** The RSS slope, one monitor's RSS, /metrics and apply at the largest N: the last line is the apply time. */
function printClosing(rows: ScaleRow[]): void {
  const first = rows[0]!;
  const last = rows[rows.length - 1]!;
  const perContainer = (a: number, b: number) => ((b - a) * 1024) / (last.n - first.n);
  if (rows.length > 1) {
    console.log(
      `bench rss-per-container: berth ${perContainer(first.berthRssMiB, last.berthRssMiB).toFixed(0)} KiB, dockerd+containerd ${perContainer(first.dockerRssMiB, last.dockerRssMiB).toFixed(0)} KiB, ratio ${(
        perContainer(first.berthRssMiB, last.berthRssMiB) / perContainer(first.dockerRssMiB, last.dockerRssMiB)
      ).toFixed(3)}`,
    );
  }
  console.log(`bench monitor-rss: berth ${last.monitorRssKiB.toFixed(0)} KiB, goal 1024 KiB, ratio ${(last.monitorRssKiB / 1024).toFixed(3)}`);
  report(`metrics-${last.n}`, last.metricsMs, 'docker stats', last.dockerStatsMs, 'ms');
  report(`apply-${last.n}`, last.berthApplyMs, 'docker-compose', last.composeUpMs, 'ms');
}
