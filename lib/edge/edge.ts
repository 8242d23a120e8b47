import { ApiObject } from 'cdk8s';
import { IConstruct } from 'constructs';
import { EdgeController, EdgeSettings } from './edge-props';

/** What every edge construct exposes, whichever controller renders it. */
export interface IEdge extends IConstruct {
  /** The controller this edge is rendered for. */
  readonly controller: EdgeController;
  /** The validated settings, defaults applied. */
  readonly settings: EdgeSettings;
  /** Every object the edge emits. */
  readonly apiObjects: ApiObject[];
}
