txoe_pkg.sv
txoe_csr.sv
txoe_ip_id.sv
txoe_hdr_build.sv
txoe_tx_engine.sv
txoe_cpl_coalesce.sv
txoe_cpl_writer.sv
txoe_top.sv
