package core

import "testing"

func TestMaskFor(t *testing.T) {
	const village = "32.3201.320117.320117001.320117001201"
	cases := []struct {
		who   string
		actor *Actor
		clear bool
	}{
		{"village clerk", &Actor{Role: RoleVillageClerk, ScopePath: village}, true},
		{"town official", &Actor{Role: RoleTownOfficial, ScopePath: "32.3201.320117.320117001"}, true},
		{"district admin scoped to the town", &Actor{Role: RoleDistrictAdmin, ScopePath: "32.3201.320117.320117001"}, true},
		{"other town", &Actor{Role: RoleTownOfficial, ScopePath: "32.3201.320117.320117100"}, false},
		{"other village", &Actor{Role: RoleVillageClerk, ScopePath: "32.3201.320117.320117001.320117001001"}, false},
		{"district admin", &Actor{Role: RoleDistrictAdmin, ScopePath: "32.3201.320117"}, false},
		{"city official", &Actor{Role: RoleCityOfficial, ScopePath: "32.3201"}, false},
		{"province official", &Actor{Role: RoleProvinceOfficial, ScopePath: "32"}, false},
		{"partner scoped to the village", &Actor{Role: RolePartnerReadonly, ScopePath: village}, false},
		{"analyst scoped to the town", &Actor{Role: RoleAnalystReadonly, ScopePath: "32.3201.320117.320117001"}, false},
		{"system", System("job"), true},
		{"nobody", nil, false},
	}
	for _, c := range cases {
		if got := MaskFor(c.actor, village).Clear; got != c.clear {
			t.Errorf("%s: clear = %v, want %v", c.who, got, c.clear)
		}
	}
}

func TestMaskValues(t *testing.T) {
	m := Mask{}
	for _, c := range []struct{ got, want string }{
		{m.Name("张三"), "张*"},
		{m.Name("欧阳娜娜"), "欧***"},
		{m.Name("李"), "*"},
		{m.Name(""), ""},
		{m.Phone("13812341234"), "138****1234"},
		{m.Phone("025-52345678"), "025-****5678"},
		{m.Phone("+86 138 1234 1234"), "+86 1** **** 1234"},
		{m.Phone("12345"), "*****"},
		{m.Phone(""), ""},
		{m.Names("张三、李四"), "张*、李*"},
		{m.Names("王五, 赵六六 钱七"), "王*, 赵** 钱*"},
	} {
		if c.got != c.want {
			t.Errorf("masked %q, want %q", c.got, c.want)
		}
	}
	clear := Mask{Clear: true}
	if clear.Name("张三") != "张三" || clear.Phone("13812341234") != "13812341234" || clear.Names("张三、李四") != "张三、李四" {
		t.Error("a clear mask changed a value")
	}
}
