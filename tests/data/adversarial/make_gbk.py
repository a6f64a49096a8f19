# Writes firms_gbk.csv: a firms export saved in GBK, as Excel on a Chinese
# Windows does by default. Run with python3 from this directory.
rows = [
    "uscc,name,standardization,n_explosives",
    "91110108MA00000070,Acme Chemicals,level_1,0",
    "91310115MA0000007H,苏州润泽化工有限公司,二级,1",
    "91440300MA00000077,深圳安达物流有限公司,三级,0",
]
with open("firms_gbk.csv", "wb") as f:
    f.write(("\r\n".join(rows) + "\r\n").encode("gbk"))
