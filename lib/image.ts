import { LiteLLMConfigError } from './errors';

/**
 * Image references, checked the same way for every workload we emit: pinned
 * by a release tag or a sha256 digest, never by a tag that moves.
 */

/** A parsed, validated image reference. */
export interface ImageReference {
  readonly repository: string;
  readonly tag?: string;
  readonly digest?: string;
  /** The reference as written into the manifest. */
  readonly reference: string;
}

/** What a release tag of one image looks like, e.g. Redis's "X.Y.Z[-variant]". */
export interface ReleaseTagRule {
  readonly pattern: RegExp;
  /** Shown as "must be pinned to <description> or a digest". */
  readonly description: string;
}

export interface ImageOptions {
  /** A pinned reference to show in messages. */
  readonly example: string;
  /** Tags allowed without a digest. @default any tag but the rolling ones (latest, stable, main-*, ...) */
  readonly releaseTag?: ReleaseTagRule;
}

const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const DIGEST = /^sha256:[a-f0-9]{64}$/;
const REPOSITORY = /^[a-z0-9]+([._-][a-z0-9]+)*(:[0-9]+)?(\/[a-z0-9]+([._-][a-z0-9]+)*)*$/;
const ROLLING_TAGS = new Set(['latest', 'stable', 'nightly', 'main', 'main-latest', 'main-stable']);

/** Validates an image reference: pinned by a release tag or by a sha256 digest. */
export function parseImage(prop: string, image: unknown, options: ImageOptions): ImageReference {
  if (typeof image !== 'string' || image.trim() === '') {
    throw new LiteLLMConfigError(prop, image, `must be an image reference pinned by tag or digest, e.g. "${options.example}"`);
  }
  let rest = image;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) {
      throw new LiteLLMConfigError(prop, image, 'a digest must be "sha256:" followed by 64 lower-case hex digits');
    }
  }
  let tag: string | undefined;
  const lastSlash = rest.lastIndexOf('/');
  const colon = rest.lastIndexOf(':');
  if (colon > lastSlash) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) {
      throw new LiteLLMConfigError(prop, image, 'the tag must match [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}');
    }
  }
  if (!REPOSITORY.test(rest)) {
    throw new LiteLLMConfigError(prop, image, 'the repository must be lower-case, e.g. "ghcr.io/berriai/litellm-non_root"');
  }
  if (tag === undefined && digest === undefined) {
    throw new LiteLLMConfigError(prop, image, `must be pinned: add a release tag or a digest ("@sha256:..."), e.g. "${options.example}"`);
  }
  if (digest === undefined && tag !== undefined) {
    const rule = options.releaseTag;
    if (rule !== undefined && !rule.pattern.test(tag)) {
      throw new LiteLLMConfigError(prop, image, `must be pinned to ${rule.description} or a digest; "${tag}" moves between releases`);
    }
    if (rule === undefined && ROLLING_TAGS.has(tag)) {
      throw new LiteLLMConfigError(prop, image, `tag "${tag}" moves between releases; pin a release tag or a digest, e.g. "${options.example}"`);
    }
  }
  return { repository: rest, tag, digest, reference: image };
}
