CREATE TABLE `report_hourly` (
	`tenant_id` text NOT NULL,
	`store_id` text NOT NULL,
	`business_date` text NOT NULL,
	`hour` integer NOT NULL,
	`sales_count` integer DEFAULT 0 NOT NULL,
	`sales_total` integer DEFAULT 0 NOT NULL,
	`returns_count` integer DEFAULT 0 NOT NULL,
	`returns_total` integer DEFAULT 0 NOT NULL,
	`voids_count` integer DEFAULT 0 NOT NULL,
	`voids_total` integer DEFAULT 0 NOT NULL,
	`net` integer DEFAULT 0 NOT NULL,
	`tax` integer DEFAULT 0 NOT NULL,
	`gross` integer DEFAULT 0 NOT NULL,
	`discount` integer DEFAULT 0 NOT NULL,
	`quantity` integer DEFAULT 0 NOT NULL,
	`lines` integer DEFAULT 0 NOT NULL,
	`cash_rounding` integer DEFAULT 0 NOT NULL,
	`change_given` integer DEFAULT 0 NOT NULL,
	`cost` integer DEFAULT 0 NOT NULL,
	PRIMARY KEY(`store_id`, `business_date`, `hour`)
);
--> statement-breakpoint
CREATE INDEX `report_hourly_tenant_date_idx` ON `report_hourly` (`tenant_id`,`business_date`);--> statement-breakpoint
CREATE TABLE `report_people` (
	`tenant_id` text NOT NULL,
	`store_id` text NOT NULL,
	`business_date` text NOT NULL,
	`cashier_id` text NOT NULL,
	`sales_rep_id` text NOT NULL,
	`sales_count` integer DEFAULT 0 NOT NULL,
	`sales_total` integer DEFAULT 0 NOT NULL,
	`returns_count` integer DEFAULT 0 NOT NULL,
	`returns_total` integer DEFAULT 0 NOT NULL,
	`voids_count` integer DEFAULT 0 NOT NULL,
	`voids_total` integer DEFAULT 0 NOT NULL,
	`net` integer DEFAULT 0 NOT NULL,
	`tax` integer DEFAULT 0 NOT NULL,
	`gross` integer DEFAULT 0 NOT NULL,
	`discount` integer DEFAULT 0 NOT NULL,
	`quantity` integer DEFAULT 0 NOT NULL,
	`lines` integer DEFAULT 0 NOT NULL,
	PRIMARY KEY(`store_id`, `business_date`, `cashier_id`, `sales_rep_id`)
);
--> statement-breakpoint
CREATE INDEX `report_people_tenant_date_idx` ON `report_people` (`tenant_id`,`business_date`);--> statement-breakpoint
CREATE TABLE `report_products` (
	`tenant_id` text NOT NULL,
	`store_id` text NOT NULL,
	`business_date` text NOT NULL,
	`product_id` text NOT NULL,
	`department_id` text NOT NULL,
	`quantity` integer DEFAULT 0 NOT NULL,
	`sold_quantity` integer DEFAULT 0 NOT NULL,
	`returned_quantity` integer DEFAULT 0 NOT NULL,
	`net` integer DEFAULT 0 NOT NULL,
	`tax` integer DEFAULT 0 NOT NULL,
	`gross` integer DEFAULT 0 NOT NULL,
	`discount` integer DEFAULT 0 NOT NULL,
	`discounted_lines` integer DEFAULT 0 NOT NULL,
	`cost` integer DEFAULT 0 NOT NULL,
	`lines` integer DEFAULT 0 NOT NULL,
	PRIMARY KEY(`store_id`, `business_date`, `product_id`, `department_id`)
);
--> statement-breakpoint
CREATE INDEX `report_products_tenant_date_idx` ON `report_products` (`tenant_id`,`business_date`);--> statement-breakpoint
CREATE TABLE `report_sale_days` (
	`sale_id` text PRIMARY KEY NOT NULL,
	`tenant_id` text NOT NULL,
	`store_id` text NOT NULL,
	`business_date` text NOT NULL,
	`hour` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `report_taxes` (
	`tenant_id` text NOT NULL,
	`store_id` text NOT NULL,
	`business_date` text NOT NULL,
	`tax_rate_id` text NOT NULL,
	`rate_millionths` integer NOT NULL,
	`name` text NOT NULL,
	`taxable` integer DEFAULT 0 NOT NULL,
	`tax` integer DEFAULT 0 NOT NULL,
	`lines` integer DEFAULT 0 NOT NULL,
	PRIMARY KEY(`store_id`, `business_date`, `tax_rate_id`, `rate_millionths`)
);
--> statement-breakpoint
CREATE INDEX `report_taxes_tenant_date_idx` ON `report_taxes` (`tenant_id`,`business_date`);--> statement-breakpoint
CREATE TABLE `report_tenders` (
	`tenant_id` text NOT NULL,
	`store_id` text NOT NULL,
	`business_date` text NOT NULL,
	`tender_code` text NOT NULL,
	`is_cash` integer DEFAULT 0 NOT NULL,
	`count` integer DEFAULT 0 NOT NULL,
	`tendered` integer DEFAULT 0 NOT NULL,
	`change_given` integer DEFAULT 0 NOT NULL,
	PRIMARY KEY(`store_id`, `business_date`, `tender_code`)
);
--> statement-breakpoint
CREATE INDEX `report_tenders_tenant_date_idx` ON `report_tenders` (`tenant_id`,`business_date`);