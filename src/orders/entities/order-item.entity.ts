import { Column, Entity, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { bigintAsNumber } from '../money';
import { Order } from './order.entity';

@Entity('order_items')
export class OrderItem {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'uuid' })
  orderId!: string;

  @ManyToOne(() => Order, (order) => order.items, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'order_id' })
  order?: Order;

  /** The item's place in the order as the client sent it. */
  @Column({ type: 'smallint' })
  position!: number;

  @Column({ type: 'varchar' })
  sku!: string;

  @Column({ type: 'varchar' })
  name!: string;

  @Column({ type: 'integer' })
  quantity!: number;

  @Column({ type: 'bigint', transformer: bigintAsNumber })
  unitPrice!: number;

  @Column({ type: 'bigint', transformer: bigintAsNumber })
  lineTotal!: number;
}
