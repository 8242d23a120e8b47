import { leaveTempDir } from './temp-dir';

export default function globalTeardown(): void {
  leaveTempDir();
}
