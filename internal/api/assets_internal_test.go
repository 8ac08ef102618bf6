package api

import "testing"

func TestAttachment(t *testing.T) {
	for _, tt := range []struct{ name, want string }{
		{"IMG_0001.jpg", `attachment; filename=IMG_0001.jpg`},
		{"my photo.jpg", `attachment; filename="my photo.jpg"`},
		{"Évora.jpg", `attachment; filename=_vora.jpg; filename*=UTF-8''%C3%89vora.jpg`},
		{`a"b\c;d.jpg`, `attachment; filename=a_b_c_d.jpg; filename*=UTF-8''a%22b%5Cc%3Bd.jpg`},
		{"evil\r\nSet-Cookie: x.jpg", `attachment; filename="evil__Set-Cookie: x.jpg"; filename*=UTF-8''evil%0D%0ASet-Cookie%3A%20x.jpg`},
	} {
		if got := attachment(tt.name); got != tt.want {
			t.Errorf("attachment(%q) = %q; want %q", tt.name, got, tt.want)
		}
	}
}
