package sessiontest_test

import (
	"fmt"
	"time"

	"github.com/visitrack/visitrack/session/sessiontest"
)

func ExampleClock() {
	clk := sessiontest.NewClock(time.Date(2026, 3, 14, 12, 0, 0, 0, time.UTC))
	// Give clk.Now as the Now of a session or middleware Config, then:
	clk.Add(31 * time.Minute) // past the default idle timeout
	fmt.Println(clk.Now().Format(time.TimeOnly))
	clk.Set(time.Date(2026, 3, 15, 0, 0, 0, 0, time.UTC))
	fmt.Println(clk.Now().Format(time.DateTime))
	// Output:
	// 12:31:00
	// 2026-03-15 00:00:00
}
