CREATE TABLE `purchase_order_lines` (
	`id` text PRIMARY KEY NOT NULL,
	`tenant_id` text NOT NULL,
	`purchase_order_id` text NOT NULL,
	`product_id` text NOT NULL,
	`supplier_sku` text,
	`quantity` integer NOT NULL,
	`unit_cost` integer NOT NULL,
	`received_quantity` integer DEFAULT 0 NOT NULL,
	`allow_over_receipt` integer DEFAULT false NOT NULL,
	`sort_order` integer NOT NULL,
	FOREIGN KEY (`purchase_order_id`) REFERENCES `purchase_orders`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`product_id`) REFERENCES `products`(`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "purchase_order_lines_valid" CHECK("purchase_order_lines"."quantity" > 0 AND "purchase_order_lines"."unit_cost" >= 0 AND "purchase_order_lines"."received_quantity" >= 0)
);
--> statement-breakpoint
CREATE UNIQUE INDEX `purchase_order_lines_product_uq` ON `purchase_order_lines` (`purchase_order_id`,`product_id`);--> statement-breakpoint
CREATE TABLE `purchase_order_receipts` (
	`id` text PRIMARY KEY NOT NULL,
	`tenant_id` text NOT NULL,
	`purchase_order_id` text NOT NULL,
	`store_id` text NOT NULL,
	`lines` text NOT NULL,
	`updated_cost` integer NOT NULL,
	`note` text,
	`received_by` text NOT NULL,
	`received_at` integer NOT NULL,
	FOREIGN KEY (`purchase_order_id`) REFERENCES `purchase_orders`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `purchase_order_receipts_po_idx` ON `purchase_order_receipts` (`purchase_order_id`);--> statement-breakpoint
CREATE TABLE `purchase_orders` (
	`id` text PRIMARY KEY NOT NULL,
	`tenant_id` text NOT NULL,
	`store_id` text NOT NULL,
	`supplier_id` text NOT NULL,
	`status` text DEFAULT 'draft' NOT NULL,
	`expected_delivery_date` text,
	`notes` text,
	`created_by` text NOT NULL,
	`submitted_by` text,
	`submitted_at` integer,
	`approved_by` text,
	`approved_at` integer,
	`sent_by` text,
	`sent_at` integer,
	`received_at` integer,
	`cancelled_by` text,
	`cancelled_at` integer,
	`version` integer DEFAULT 1 NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	`deleted_at` integer,
	FOREIGN KEY (`store_id`) REFERENCES `stores`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`supplier_id`) REFERENCES `suppliers`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `purchase_orders_tenant_status_idx` ON `purchase_orders` (`tenant_id`,`status`);--> statement-breakpoint
CREATE INDEX `purchase_orders_supplier_idx` ON `purchase_orders` (`supplier_id`);--> statement-breakpoint
CREATE TABLE `stock_count_lines` (
	`id` text PRIMARY KEY NOT NULL,
	`tenant_id` text NOT NULL,
	`count_id` text NOT NULL,
	`product_id` text NOT NULL,
	`expected_quantity` integer NOT NULL,
	`counted_quantity` integer,
	`counted_by` text,
	`counted_at` integer,
	`version` integer DEFAULT 1 NOT NULL,
	FOREIGN KEY (`count_id`) REFERENCES `stock_counts`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`product_id`) REFERENCES `products`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `stock_count_lines_product_uq` ON `stock_count_lines` (`count_id`,`product_id`);--> statement-breakpoint
CREATE TABLE `stock_counts` (
	`id` text PRIMARY KEY NOT NULL,
	`tenant_id` text NOT NULL,
	`store_id` text NOT NULL,
	`department_id` text,
	`status` text DEFAULT 'open' NOT NULL,
	`notes` text,
	`started_by` text NOT NULL,
	`posted_by` text,
	`posted_at` integer,
	`cancelled_by` text,
	`cancelled_at` integer,
	`version` integer DEFAULT 1 NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	`deleted_at` integer,
	FOREIGN KEY (`store_id`) REFERENCES `stores`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`department_id`) REFERENCES `departments`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `stock_counts_tenant_status_idx` ON `stock_counts` (`tenant_id`,`status`);--> statement-breakpoint
CREATE UNIQUE INDEX `stock_counts_open_uq` ON `stock_counts` (`store_id`) WHERE status = 'open' AND deleted_at IS NULL;--> statement-breakpoint
CREATE TABLE `transfer_lines` (
	`id` text PRIMARY KEY NOT NULL,
	`tenant_id` text NOT NULL,
	`transfer_id` text NOT NULL,
	`product_id` text NOT NULL,
	`quantity` integer NOT NULL,
	`received_quantity` integer,
	`discrepancy_reason` text,
	`sort_order` integer NOT NULL,
	FOREIGN KEY (`transfer_id`) REFERENCES `transfers`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`product_id`) REFERENCES `products`(`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "transfer_lines_positive" CHECK("transfer_lines"."quantity" > 0)
);
--> statement-breakpoint
CREATE UNIQUE INDEX `transfer_lines_product_uq` ON `transfer_lines` (`transfer_id`,`product_id`);--> statement-breakpoint
CREATE TABLE `transfers` (
	`id` text PRIMARY KEY NOT NULL,
	`tenant_id` text NOT NULL,
	`from_store_id` text NOT NULL,
	`to_store_id` text NOT NULL,
	`status` text DEFAULT 'draft' NOT NULL,
	`notes` text,
	`created_by` text NOT NULL,
	`sent_by` text,
	`sent_at` integer,
	`received_by` text,
	`received_at` integer,
	`cancelled_by` text,
	`cancelled_at` integer,
	`version` integer DEFAULT 1 NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	`deleted_at` integer,
	FOREIGN KEY (`from_store_id`) REFERENCES `stores`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`to_store_id`) REFERENCES `stores`(`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "transfers_two_stores" CHECK("transfers"."from_store_id" <> "transfers"."to_store_id")
);
--> statement-breakpoint
CREATE INDEX `transfers_tenant_status_idx` ON `transfers` (`tenant_id`,`status`);--> statement-breakpoint
CREATE INDEX `transfers_from_idx` ON `transfers` (`from_store_id`);--> statement-breakpoint
CREATE INDEX `transfers_to_idx` ON `transfers` (`to_store_id`);--> statement-breakpoint
ALTER TABLE `stock_movements` ADD `unit_cost` integer;--> statement-breakpoint
ALTER TABLE `stock_movements` ADD `average_cost` integer;