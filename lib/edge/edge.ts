import { ApiObject } from 'cdk8s';
import { EdgeController, ResolvedEdge } from './edge-props';

/** What every edge construct exposes, whichever controller renders it. */
export interface IEdge {
  /** The controller this edge is rendered for. */
  readonly controller: EdgeController;
  /** The validated settings, defaults applied. */
  readonly settings: ResolvedEdge;
  /** Every object the edge emits. */
  readonly apiObjects: readonly ApiObject[];
}
