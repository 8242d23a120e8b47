
/**
 * The LiteLLM release this library is built and tested against: the 1.108
 * LTS line (patch releases only: fixes, no new migrations). The e2e suite
 * installs the same version from PyPI (`litellm==1.108.14`, scripts/e2e-install.sh).
 *
 * The image tag: every 1.108.x LTS release is published as
 * `ghcr.io/berriai/litellm:v1.108.N`, and its release notes sign "litellm-database,
 * litellm-non_root and the docker.io/litellm/* images" with the same command
 * (GitHub releases v1.108.1, v1.108.3-v1.108.5, v1.108.12 as mirrored on
 * newreleases.io); stable tags are plain `vX.Y.Z` from v1.84.0 on
 * (docs.litellm.ai/blog/cleaner-release-versions). Never 1.82.7 / 1.82.8
 * (malicious PyPI uploads, March 2026); >= 1.83.0 also fixes CVE-2026-35029/35030.
 * Pin by digest for the strongest guarantee (the README's upgrading section).
 */
export const LITELLM_VERSION = '1.108.14';

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

/** The LiteLLM release this library is built and tested against. */
export class LiteLLMRelease {
  /** The pinned release, e.g. `1.108.14` (the 1.108 LTS line). */
  public static readonly VERSION = LITELLM_VERSION;
  /** The default image: the non-root variant at the pinned release (runs as `nobody`, uid 65534). */
  public static readonly IMAGE = DEFAULT_PROXY_IMAGE;

  private constructor() {}
}
