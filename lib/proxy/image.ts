import { LiteLLMConfigError } from '../errors';

/**
 * The LiteLLM release this library is built and tested against. The e2e suite
 * installs the same version from PyPI (`litellm==1.89.4`).
 *
 * Tag confirmed on GHCR: BerriAI/litellm-docs PR #417 (2026-06-27) moved the
 * image-security guide's cosign examples to `v1.89.4` after verifying that it
 * "resolves on GHCR and for the signing key". From v1.84.0 on stable releases
 * are plain `vX.Y.Z` tags (litellm-docs PR #127). Never 1.82.7 / 1.82.8
 * (malicious PyPI uploads, March 2026); >= 1.83.0 also fixes CVE-2026-35029/35030.
 */
export const LITELLM_VERSION = '1.89.4';

/** Image repositories LiteLLM publishes (docs: deploy.md, "Docker images"). */
export const LITELLM_REPOSITORIES = {
  /** Runs as root: rejected by Pod Security `restricted`, listed for completeness. */
  root: 'ghcr.io/berriai/litellm',
  /** Runs as `nobody`; the default here. */
  nonRoot: 'ghcr.io/berriai/litellm-non_root',
  /**
   * Carries Prisma for the database, but runs as root (docker/Dockerfile.database:
   * `USER root`), so Pod Security `restricted` rejects it. The non-root image
   * also generates Prisma at build time (docker/Dockerfile.non_root), so it
   * serves database users too.
   */
  database: 'ghcr.io/berriai/litellm-database',
} as const;

/** A parsed, validated image reference. */
export interface ImageReference {
  readonly repository: string;
  readonly tag?: string;
  readonly digest?: string;
  /** The reference as written into the manifest. */
  readonly reference: string;
}

const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const DIGEST = /^sha256:[a-f0-9]{64}$/;
const REPOSITORY = /^[a-z0-9]+([._-][a-z0-9]+)*(:[0-9]+)?(\/[a-z0-9]+([._-][a-z0-9]+)*)*$/;

/**
 * Validates an image reference: it must be pinned by a tag other than
 * `latest` (or a rolling `main-*` tag) or by a sha256 digest.
 */
export function parseImage(prop: string, image: unknown): ImageReference {
  if (typeof image !== 'string' || image.trim() === '') {
    throw new LiteLLMConfigError(prop, image, 'must be an image reference pinned by tag or digest, e.g. "ghcr.io/berriai/litellm-non_root:v1.89.4"');
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
    throw new LiteLLMConfigError(prop, image, 'must be pinned: add a release tag (":v1.89.4") or a digest ("@sha256:...")');
  }
  if (digest === undefined && tag !== undefined && isRollingTag(tag)) {
    throw new LiteLLMConfigError(prop, image,
      `tag "${tag}" moves between releases; pin a release tag such as "v${LITELLM_VERSION}" or a digest`);
  }
  return { repository: rest, tag, digest, reference: image };
}

function isRollingTag(tag: string): boolean {
  return tag === 'latest' || tag === 'stable' || tag === 'nightly'
    || tag === 'main-latest' || tag === 'main-stable' || tag === 'main';
}

/**
 * The default image: the non-root variant at the pinned release, with or
 * without a database (it runs as `nobody`, uid 65534, with Prisma generated).
 */
export const DEFAULT_PROXY_IMAGE = `${LITELLM_REPOSITORIES.nonRoot}:v${LITELLM_VERSION}`;

/** uid/gid of `nobody` in the Wolfi-based non-root image; >= 10000 as scanners want. */
export const PROXY_UID = 65534;
