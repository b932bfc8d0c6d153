package demo

// Store names the demo shop in cookies and events.
const Store = "demo-shop"

// The labelled call that Recommend makes.
const (
	trendingAPI   = "recommendations/trending"
	trendingLabel = "Homepage - Trending"
)

// Trending returns the product IDs that Recommend shows, standing in for what
// a recommendations API would return. Each call returns a new slice.
func Trending() []string {
	return []string{"12793", "10422", "11387", "10045"}
}
