/**
 * The static tables the tenant draws from: first and last names (and the bijection spreading users
 * over their combinations), places, applications, departments and sites, area codes, lockout
 * reasons and admin roles.
 *
 * @example const first = choose(FIRST_NAMES, mix(h, 1));
 */
import { coprimeMultiplier, modInverse } from './hash.js';

// prettier-ignore
export const FIRST_NAMES = [
  'james', 'mary', 'john', 'patricia', 'robert', 'jennifer', 'michael', 'linda', 'william',
  'elizabeth', 'david', 'barbara', 'richard', 'susan', 'joseph', 'jessica', 'thomas', 'sarah',
  'charles', 'karen', 'christopher', 'nancy', 'daniel', 'lisa', 'matthew', 'betty', 'anthony',
  'margaret', 'mark', 'sandra', 'donald', 'ashley', 'steven', 'kimberly', 'paul', 'emily', 'andrew',
  'donna', 'joshua', 'michelle', 'kenneth', 'carol', 'kevin', 'amanda', 'brian', 'melissa',
  'george', 'deborah', 'timothy', 'stephanie', 'ronald', 'rebecca', 'edward', 'sharon', 'jason',
  'laura', 'jeffrey', 'cynthia', 'priya', 'kathleen', 'wei', 'amy', 'omar', 'angela',
] as const;

// prettier-ignore
export const LAST_NAMES = [
  'smith', 'johnson', 'williams', 'brown', 'jones', 'garcia', 'miller', 'davis', 'rodriguez',
  'martinez', 'hernandez', 'lopez', 'gonzalez', 'wilson', 'anderson', 'thomas', 'taylor', 'moore',
  'jackson', 'martin', 'lee', 'perez', 'thompson', 'white', 'harris', 'sanchez', 'clark', 'ramirez',
  'lewis', 'robinson', 'walker', 'young', 'allen', 'king', 'wright', 'scott', 'torres', 'nguyen',
  'hill', 'flores', 'green', 'adams', 'nelson', 'baker', 'hall', 'rivera', 'campbell', 'mitchell',
  'carter', 'roberts', 'gomez', 'phillips', 'evans', 'turner', 'diaz', 'parker', 'cruz', 'edwards',
  'collins', 'reyes', 'stewart', 'morris', 'morales', 'murphy', 'cook', 'rogers', 'gutierrez',
  'ortiz', 'morgan', 'cooper', 'peterson', 'bailey', 'reed', 'kelly', 'howard', 'ramos', 'kim',
  'cox', 'ward', 'richardson', 'watson', 'brooks', 'chavez', 'wood', 'james', 'bennett', 'gray',
  'mendoza', 'ruiz', 'hughes', 'price', 'alvarez', 'castillo', 'sanders', 'patel', 'myers', 'long',
  'ross', 'foster', 'jimenez', 'powell', 'jenkins', 'perry', 'russell', 'sullivan', 'bell',
  'coleman', 'butler', 'henderson', 'barnes', 'fisher', 'vasquez', 'simmons', 'romero', 'jordan',
  'patterson', 'alexander', 'hamilton', 'graham', 'reynolds', 'griffin', 'wallace', 'moreno',
  'west', 'cole', 'hayes', 'chen', 'schmidt',
] as const;

export const FIRST_INDEX = new Map<string, number>(FIRST_NAMES.map((name, i) => [name, i]));
export const LAST_INDEX = new Map<string, number>(LAST_NAMES.map((name, i) => [name, i]));
export const NAME_COMBOS = FIRST_NAMES.length * LAST_NAMES.length;

/** Spreads consecutive users over name combinations: user i ↔ (combo, repetition) bijectively. */
export const NAME_STEP = coprimeMultiplier(NAME_COMBOS, 2861);
export const NAME_STEP_INVERSE = modInverse(NAME_STEP, NAME_COMBOS);

export const CAPITALS = (word: string): string =>
  word.length === 0 ? word : word.charAt(0).toUpperCase() + word.slice(1);

export interface Place {
  readonly city: string;
  readonly state: string | null;
  readonly country: string;
}

export const US_PLACES: readonly Place[] = [
  { city: 'Ann Arbor', state: 'Michigan', country: 'United States' },
  { city: 'New York', state: 'New York', country: 'United States' },
  { city: 'San Francisco', state: 'California', country: 'United States' },
  { city: 'Austin', state: 'Texas', country: 'United States' },
  { city: 'Chicago', state: 'Illinois', country: 'United States' },
  { city: 'Seattle', state: 'Washington', country: 'United States' },
  { city: 'Boston', state: 'Massachusetts', country: 'United States' },
  { city: 'Denver', state: 'Colorado', country: 'United States' },
  { city: 'Atlanta', state: 'Georgia', country: 'United States' },
  { city: 'Raleigh', state: 'North Carolina', country: 'United States' },
  { city: 'Columbus', state: 'Ohio', country: 'United States' },
  { city: 'Phoenix', state: 'Arizona', country: 'United States' },
];

export const WORLD_PLACES: readonly Place[] = [
  { city: 'London', state: 'England', country: 'United Kingdom' },
  { city: 'Berlin', state: 'Berlin', country: 'Germany' },
  { city: 'Paris', state: 'Ile-de-France', country: 'France' },
  { city: 'Toronto', state: 'Ontario', country: 'Canada' },
  { city: 'Bengaluru', state: 'Karnataka', country: 'India' },
  { city: 'Sydney', state: 'New South Wales', country: 'Australia' },
  { city: 'Tokyo', state: 'Tokyo', country: 'Japan' },
  { city: 'Sao Paulo', state: 'Sao Paulo', country: 'Brazil' },
  { city: 'Amsterdam', state: 'North Holland', country: 'Netherlands' },
  { city: 'Dublin', state: 'Leinster', country: 'Ireland' },
  { city: 'Singapore', state: null, country: 'Singapore' },
  { city: 'Lagos', state: 'Lagos', country: 'Nigeria' },
];

export const ALL_PLACES: readonly Place[] = [...US_PLACES, ...WORLD_PLACES];

// prettier-ignore
export const APPLICATION_NAMES = [
  'Microsoft Azure Active Directory', 'Cisco ASA VPN', 'Okta', 'Salesforce', 'Workday',
  'Windows Logon', 'Slack', 'GitHub Enterprise', 'AWS Console', 'RDP Gateway', 'ServiceNow',
  'Google Workspace', 'Zoom', 'Atlassian Cloud', 'Box', 'SSH Bastion', 'Citrix Gateway',
  'Duo Admin Panel', 'Palo Alto GlobalProtect', 'Epic Hyperspace',
] as const;

// prettier-ignore
export const DEPARTMENTS = [
  'Duo Users', 'Engineering', 'Sales', 'Marketing', 'Finance', 'Human Resources', 'IT Operations',
  'Security', 'Customer Support', 'Legal', 'Product', 'Facilities', 'Executives', 'Contractors',
  'VPN Users', 'Remote Workers', 'Help Desk', 'Data Science', 'DevOps', 'Procurement', 'Research',
  'Quality Assurance', 'Partners', 'Interns',
] as const;

// prettier-ignore
export const SITES = [
  'HQ', 'Ann Arbor', 'Austin', 'London', 'Berlin', 'Toronto', 'Bengaluru', 'Sydney', 'Singapore',
  'New York',
] as const;

export const AREA_CODES = [
  '734',
  '212',
  '415',
  '512',
  '312',
  '206',
  '617',
  '303',
  '404',
  '919',
] as const;

export const LOCKOUT_REASONS: readonly (readonly [string, number])[] = [
  ['Failed Attempts', 50],
  ['Not enrolled', 30],
  ['Admin disabled', 15],
  ['Admin API disabled', 5],
];

export const ADMIN_ROLES = [
  'Administrator',
  'User Manager',
  'Help Desk',
  'Read-only',
  'Security Analyst',
  'Billing',
] as const;
