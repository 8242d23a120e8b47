import { enterTempDir } from './temp-dir';

export default function globalSetup(): void {
  enterTempDir();
}
