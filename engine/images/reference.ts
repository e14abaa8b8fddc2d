// Image references normalised as Docker does: `busybox` → docker.io/library/busybox:latest,
// `host:port/ns/name:tag@sha256:…`. A domain is the first component when it has a dot or a colon,
// or is "localhost"; otherwise the reference is on Docker Hub.
import { InvalidArgumentError } from '../../specs/errdefs.ts';

export interface Reference {
  /** Registry host[:port] ("docker.io" for Docker Hub). */
  domain: string;
  /** Repository path ("library/busybox"). */
  path: string;
  tag?: string;
  digest?: string;
}

const COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^sha256:[a-f0-9]{64}$/;
const DOMAIN = /^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*(?::\d+)?$|^\[[0-9a-fA-F:]+\](?::\d+)?$/;

export function parseReference(input: string): Reference {
  const bad = (why: string) =>
    new InvalidArgumentError(`invalid image reference "${input}": ${why} (e.g. busybox, busybox:1.36, localhost:5000/team/app:v1, app@sha256:<64 hex>)`);
  if (!input || input !== input.trim()) throw bad('empty or surrounded by spaces');
  let rest = input;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) throw bad(`digest "${digest}" is not sha256:<64 hex>`);
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) throw bad(`tag "${tag}" must be letters, digits, _ . - (at most 128)`);
  }
  const parts = rest.split('/');
  let domain = 'docker.io';
  if (parts.length > 1 && (parts[0]!.includes('.') || parts[0]!.includes(':') || parts[0] === 'localhost')) {
    domain = parts.shift()!;
    if (!DOMAIN.test(domain)) throw bad(`registry "${domain}" is not a host[:port]`);
  }
  if (domain === 'index.docker.io') domain = 'docker.io';
  if (parts.length === 0 || parts.some((p) => !COMPONENT.test(p))) throw bad('repository names are lowercase letters, digits and separators (. _ __ -)');
  if (domain === 'docker.io' && parts.length === 1) parts.unshift('library');
  const path = parts.join('/');
  if (path.length > 255) throw bad('the repository name is longer than 255 characters');
  return { domain, path, ...(tag || !digest ? { tag: tag ?? 'latest' } : {}), ...(digest ? { digest } : {}) };
}

/** The fully-qualified form: docker.io/library/busybox:latest, host:5000/app@sha256:… */
export function formatReference(r: Reference): string {
  return `${r.domain}/${r.path}${r.tag ? `:${r.tag}` : ''}${r.digest ? `@${r.digest}` : ''}`;
}

export function normalizeReference(input: string): string {
  return formatReference(parseReference(input));
}

/** How people write it: docker.io/library/ dropped, as `docker images` shows it. */
export function familiarName(r: Reference): string {
  const name = r.domain === 'docker.io' ? r.path.replace(/^library\//, '') : `${r.domain}/${r.path}`;
  return name;
}

/** http is used only for loopback registries or those marked insecure. */
export function isLoopbackRegistry(domain: string): boolean {
  const host = domain.replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
  return host === 'localhost' || /^127\.\d+\.\d+\.\d+$/.test(host) || host === '::1';
}
