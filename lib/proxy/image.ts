
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

/**
 * The default image: the non-root variant at the pinned release, with or
 * without a database (it runs as `nobody`, uid 65534, with Prisma generated).
 */
export const DEFAULT_PROXY_IMAGE = `${LITELLM_REPOSITORIES.nonRoot}:v${LITELLM_VERSION}`;

/** uid/gid of `nobody` in the Wolfi-based non-root image; >= 10000 as scanners want. */
export const PROXY_UID = 65534;
