// Versioned schema migrations. PRAGMA user_version holds the number of migrations applied; each
// migration runs in its own transaction together with the version bump, so a crash leaves the
// database either before or after a migration, never half-way. Append new migrations; never edit old ones.
import type Database from 'better-sqlite3';

export interface Migration {
  version: number;
  description: string;
  up: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'objects and events',
    up: `
      CREATE TABLE objects (
        kind        TEXT NOT NULL,
        name        TEXT NOT NULL,
        uid         TEXT NOT NULL UNIQUE,
        generation  INTEGER NOT NULL CHECK (generation >= 1),
        source      TEXT NOT NULL,
        labels      TEXT NOT NULL DEFAULT '{}',
        annotations TEXT NOT NULL DEFAULT '{}',
        spec        TEXT NOT NULL,
        status      TEXT NOT NULL DEFAULT '{}',
        created_at  TEXT NOT NULL,
        updated_at  TEXT NOT NULL,
        PRIMARY KEY (kind, name)
      ) WITHOUT ROWID;
      CREATE INDEX objects_source ON objects (source);

      CREATE TABLE events (
        id              INTEGER PRIMARY KEY AUTOINCREMENT,
        type            TEXT NOT NULL CHECK (type IN ('Normal', 'Warning')),
        reason          TEXT NOT NULL,
        kind            TEXT NOT NULL,
        name            TEXT NOT NULL,
        uid             TEXT,
        message         TEXT NOT NULL,
        component       TEXT NOT NULL,
        count           INTEGER NOT NULL DEFAULT 1,
        first_timestamp TEXT NOT NULL,
        last_timestamp  TEXT NOT NULL
      );
      CREATE INDEX events_object ON events (kind, name);
      CREATE INDEX events_last ON events (last_timestamp);
    `,
  },
];

/** Brings the database to the newest version; refuses a database written by a newer berth. */
export function migrate(db: Database.Database, migrations: readonly Migration[] = MIGRATIONS): { from: number; to: number } {
  const from = db.pragma('user_version', { simple: true }) as number;
  const latest = migrations.length === 0 ? 0 : migrations[migrations.length - 1]!.version;
  if (from > latest) {
    throw new Error(
      `store schema version ${from} is newer than this berth understands (${latest}); run a newer berth or use another --root`,
    );
  }
  for (const m of migrations) {
    if (m.version <= from) continue;
    db.transaction(() => {
      db.exec(m.up);
      db.pragma(`user_version = ${m.version}`);
    })();
  }
  return { from, to: Math.max(from, latest) };
}
