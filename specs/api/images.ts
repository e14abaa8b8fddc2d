// Images as the API shows them, and the progress events of pulls, pushes and builds.

/** An OCI content descriptor. */
export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
  platform?: { architecture: string; os: string; variant?: string };
  urls?: string[];
}

/** What `berth images` shows per tag. */
export interface ImageSummary {
  ref: string;
  repository: string;
  tag: string;
  digest: string;
  id: string;
  size: number;
  created?: string;
  /** OCI platform of its config, e.g. linux/amd64. */
  platform: string;
  layers: string[];
}

/** One step of a pull or push, per layer (or the manifest). */
export interface PullEvent {
  /** Short layer id (12 hex), "manifest", or "mirror" (which registry mirror a pull goes through). */
  id: string;
  status: 'resolving' | 'exists' | 'downloading' | 'done' | 'pushed' | 'mounted' | 'mirror' | 'fallback';
  current?: number;
  total?: number;
  /** For "mirror" and "fallback": which mirror, and why the pull moves on from it. */
  message?: string;
}

/** The image a build produced. */
export interface BuiltImage {
  /** Manifest digest. */
  digest: string;
  /** Config digest (Docker's image id). */
  id: string;
  tags: string[];
  size: number;
}

/** One line of a build's progress. */
export type BuildEvent =
  | { type: 'step'; stage: string; step: number; steps: number; text: string; cached: boolean; line: number }
  | { type: 'output'; stream: 'stdout' | 'stderr'; text: string }
  | { type: 'warning'; text: string }
  | { type: 'done'; image: BuiltImage };
