// The builder as the container engine uses it for Image objects with spec.build (engine/wire.ts
// createEngine's `builder` factory): build and tag, and the digest that says when to rebuild.
import type { ImageSpec } from '../../specs/schema.ts';
import type { BuilderPort } from '../deps.ts';
import { formatReference, parseReference } from '../images/reference.ts';
import type { Builder } from './builder.ts';

type BuildSpec = NonNullable<ImageSpec['build']>;

export function engineBuilderPort(builder: Builder): BuilderPort {
  return {
    async build(ref: string, spec: BuildSpec) {
      const r = await builder.build({
        context: spec.context,
        dockerfile: spec.dockerfile,
        ...(spec.args ? { buildArgs: spec.args } : {}),
        ...(spec.target ? { target: spec.target } : {}),
        tags: [ref],
      });
      return { ref: formatReference(parseReference(ref)), digest: r.digest, size: r.size };
    },
    contextDigest: (spec: BuildSpec) =>
      builder.contextDigest({ context: spec.context, dockerfile: spec.dockerfile, ...(spec.args ? { args: spec.args } : {}), ...(spec.target ? { target: spec.target } : {}) }),
  };
}
