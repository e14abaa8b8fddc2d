// Daemon-wide routes: liveness, version, and info (the settings in force and their sources).
import { API_VERSION } from '../../specs/schema.ts';
import type { DaemonInfo } from '../../specs/api/system.ts';
import type { Route } from '../api.ts';
import { describeSettings } from '../config/settings.ts';
import type { DaemonContext } from '../context.ts';

export default function routes(ctx: DaemonContext): Route[] {
  return [
    { method: 'GET', path: '/v1/ping', handler: async () => ({ json: { ok: true } }) },
    {
      method: 'GET',
      path: '/v1/version',
      handler: async () => ({
        json: { version: ctx.version, apiVersion: API_VERSION, node: process.version, root: ctx.root, pid: process.pid },
      }),
    },
    {
      method: 'GET',
      path: '/v1/info',
      handler: async () => {
        const settings = ctx.options.settings;
        const info: DaemonInfo = {
          version: ctx.version,
          apiVersion: API_VERSION,
          root: ctx.root,
          pid: process.pid,
          ...(settings?.file ? { configFile: settings.file } : {}),
          settings: settings ? describeSettings(settings) : [],
          ...(ctx.lastReload ? { lastReload: ctx.lastReload } : {}),
        };
        return { json: info };
      },
    },
  ];
}
