-- current
CREATE TABLE [Invoice] ([InvoiceId] INTEGER PRIMARY KEY, `Amount` NUMERIC ( 10 , 2 ) NOT NULL, "Paid" BOOLEAN DEFAULT FALSE);
CREATE INDEX [IX_Invoice_Paid] ON [Invoice] ([Paid]);
-- desired
CREATE TABLE invoice (invoiceid integer primary key, amount numeric(10,2) not null, paid boolean default false);
CREATE INDEX ix_invoice_paid ON invoice (paid);
-- expect
