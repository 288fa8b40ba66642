CREATE TABLE `gift_card_codes` (
	`id` text PRIMARY KEY NOT NULL,
	`tenant_id` text NOT NULL,
	`card_id` text NOT NULL,
	`kind` text NOT NULL,
	`code` text NOT NULL,
	`pin_hash` text,
	`customer_id` text,
	`source` text,
	`created_at` integer NOT NULL,
	`removed_at` integer,
	FOREIGN KEY (`card_id`) REFERENCES `gift_cards`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `gift_card_codes_tenant_code_uq` ON `gift_card_codes` (`tenant_id`,`code`) WHERE removed_at IS NULL;--> statement-breakpoint
CREATE INDEX `gift_card_codes_card_idx` ON `gift_card_codes` (`card_id`);--> statement-breakpoint
CREATE TABLE `gift_card_transactions` (
	`id` text PRIMARY KEY NOT NULL,
	`tenant_id` text NOT NULL,
	`card_id` text NOT NULL,
	`kind` text NOT NULL,
	`state` text NOT NULL,
	`amount` integer NOT NULL,
	`authorised_amount` integer,
	`balance_after` integer,
	`reference` text,
	`description` text,
	`store_id` text,
	`sale_id` text,
	`payment_id` text,
	`code_id` text,
	`actor_type` text NOT NULL,
	`actor_id` text,
	`created_at` integer NOT NULL,
	`expires_at` integer,
	`settled_at` integer,
	`settled_by` text,
	FOREIGN KEY (`card_id`) REFERENCES `gift_cards`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `gift_card_transactions_card_idx` ON `gift_card_transactions` (`card_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `gift_card_transactions_sale_idx` ON `gift_card_transactions` (`sale_id`);--> statement-breakpoint
CREATE INDEX `gift_card_transactions_due_idx` ON `gift_card_transactions` (`expires_at`) WHERE state = 'AUTHORISED';--> statement-breakpoint
CREATE TABLE `gift_cards` (
	`id` text PRIMARY KEY NOT NULL,
	`tenant_id` text NOT NULL,
	`currency` text NOT NULL,
	`balance` integer DEFAULT 0 NOT NULL,
	`reserved` integer DEFAULT 0 NOT NULL,
	`status` text DEFAULT 'active' NOT NULL,
	`customer_id` text,
	`expires_on` text,
	`version` integer DEFAULT 1 NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	`deleted_at` integer,
	CONSTRAINT "gift_card_funds" CHECK("gift_cards"."reserved" >= 0 AND "gift_cards"."balance" >= "gift_cards"."reserved")
);
--> statement-breakpoint
CREATE INDEX `gift_cards_tenant_created_idx` ON `gift_cards` (`tenant_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `gift_cards_customer_idx` ON `gift_cards` (`customer_id`);--> statement-breakpoint
ALTER TABLE `tenants` ADD `gift_card_hold_minutes` integer DEFAULT 10080 NOT NULL;