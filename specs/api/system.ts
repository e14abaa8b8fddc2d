// What `berth info` shows: the daemon, the settings in force and where each came from, and how
// its last configuration reload went.

/** Where a setting's value came from. */
export type SettingSource = 'default' | 'file' | 'flag' | 'env';

export interface DaemonSetting {
  /** The daemon.json key (Docker's name where dockerd has the setting). */
  key: string;
  value: unknown;
  source: SettingSource;
  /** file:line:col, "flag --x" or "$VAR"; absent for defaults. */
  where?: string;
  /** A reload (SIGHUP) can change it; the others need a restart. */
  live: boolean;
  /** A restart-only setting the file has changed since the start: the value a restart will apply. */
  pending?: unknown;
}

export interface ReloadInfo {
  at: string;
  applied: boolean;
  changed: string[];
  /** Keys the file changes that only a restart applies (the others were applied). */
  needsRestart?: string[];
  error?: string;
}

export interface DaemonInfo {
  version: string;
  apiVersion: string;
  root: string;
  pid: number;
  /** The configuration file read at start or at the last reload (absent when there was none). */
  configFile?: string;
  settings: DaemonSetting[];
  lastReload?: ReloadInfo;
}
